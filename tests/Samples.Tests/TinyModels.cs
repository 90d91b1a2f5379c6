using System.Globalization;
using System.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.Search;
using MLWorkbench.TextClassification;

namespace MLWorkbench.Samples.Tests;

/// <summary>Small bundles trained in the test (no fixture files to keep in step with the bundle format).</summary>
internal static class TinyModels
{
    /// <summary>y = 1 + 2·x1 − x2 (+1 for red) over 120 rows: x1 and x2 numbers without missing values, colour a category.</summary>
    public static string Csv(string folder)
    {
        var random = new Random(3);
        var text = new StringBuilder("x1,x2,colour,y\n");
        for (var i = 0; i < 120; i++)
        {
            double x1 = random.NextDouble() * 2 - 1, x2 = random.NextDouble() * 2 - 1;
            var colour = (i % 3) switch { 0 => "red", 1 => "green", _ => "blue" };
            var y = 1 + 2 * x1 - x2 + (colour == "red" ? 1 : 0) + 0.05 * random.NextDouble();
            text.Append(CultureInfo.InvariantCulture, $"{x1:R},{x2:R},{colour},{y:R}\n");
        }
        var path = Path.Combine(folder, "tiny.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    /// <summary>Trains <paramref name="trainer"/> at its cheap starting point on <paramref name="csv"/> and saves the bundle.</summary>
    public static async Task<string> TrainAsync(string csv, string trainer, string path)
    {
        var data = TabularData.LoadCsv(csv);
        var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
        var featurizer = TabularFeaturizer.Fit(data, "y", TaskKind.Regression, rows);
        var matrix = featurizer.Transform(data, rows);
        var definition = TrainerCatalog.Find(trainer)!;
        var candidate = definition.Create(TaskKind.Regression, definition.Space(TaskKind.Regression).Initial);
        using var model = await candidate.FitAsync(matrix, matrix, new TrainContext(TaskKind.Regression, 0, 1, ComputeDevice.Cpu), CancellationToken.None);
        var source = new BundleSource("y", candidate.Name, candidate.Family, candidate.Hyperparameters,
            new Dictionary<string, double>(), null, data.Sha256);
        await ModelBundle.SaveAsync(path, model, featurizer, source, CancellationToken.None);
        return path;
    }

    /// <summary>
    /// A TorchSharp CNN trained for one epoch on four 16-pixel grayscale images per shape written into
    /// <paramref name="folder"/>: the bundle and one of the images (what it predicts does not matter, only that a
    /// consumer predicts the same).
    /// </summary>
    public static async Task<(string Bundle, string Image)> TrainImageAsync(string folder, string path)
    {
        var images = ImageDataset.Load(SyntheticShapes.Write(Path.Combine(folder, "shapes"), perClass: 4, seed: 5, size: 16, grayscale: true)).Examples;
        var options = new TorchImageOptions { ImageSize = 16, Width = 4, Depth = 1, MaxEpochs = 1, Patience = 1, BatchSize = 12, Augment = false };
        var candidate = TorchImageCandidates.Cnn(options);
        using var model = await candidate.FitAsync(images, images, new TrainContext(TaskKind.ImageClassification, images.ClassNames.Count, 1, ComputeDevice.Cpu), CancellationToken.None);
        await ModelBundle.SaveAsync(path, model, TaskKind.ImageClassification, images.ClassNames, Source("class", candidate), CancellationToken.None);
        return (path, images.Paths[0]);
    }

    /// <summary>A TorchSharp GRU trained for one epoch on 24 short texts, each holding one of three keywords (its class).</summary>
    public static async Task<string> TrainTextAsync(string path)
    {
        string[] filler = ["table", "river", "green", "quickly", "under", "paper"];
        string[] keywords = ["alpha", "bravo", "charlie"];
        var random = new Random(7);
        var texts = Enumerable.Range(0, 24).Select(i =>
        {
            var words = Enumerable.Range(0, 4).Select(_ => filler[random.Next(filler.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), keywords[i % 3]);
            return string.Join(' ', words);
        }).ToArray();
        var examples = new TextExamples(texts, Enumerable.Range(0, texts.Length).Select(i => (float)(i % 3)).ToArray(), keywords);
        var options = new TorchTextOptions { Width = 8, Hidden = 8, MaxEpochs = 1, Patience = 1, BatchSize = 8, MaxTokens = 16 };
        var candidate = TorchTextCandidates.Torch(TextNetwork.Gru, options);
        using var model = await candidate.FitAsync(examples, examples, new TrainContext(TaskKind.TextClassification, keywords.Length, 1, ComputeDevice.Cpu), CancellationToken.None);
        await ModelBundle.SaveAsync(path, model, TaskKind.TextClassification, keywords, Source("label", candidate), CancellationToken.None);
        return path;
    }

    /// <summary>The zero-shot MiniLM sentence-pair model (no training: its bundle names the pretrained files by checksum).</summary>
    public static async Task<string> ZeroShotPairsAsync(string path)
    {
        var pairs = new SentencePairs(["a man is playing the guitar", "a cat sleeps"], ["a man plays a guitar", "the dog runs in the park"], [4.5f, 0.5f], ScoreRange.StsBenchmark);
        var candidate = new MiniLmZeroShotCandidate();
        using var model = await candidate.FitAsync(pairs, pairs, new TrainContext(TaskKind.SentenceSimilarity, 0, 1, ComputeDevice.Cpu), CancellationToken.None);
        await ModelBundle.SaveAsync(path, model, TaskKind.SentenceSimilarity, null, Source("score", candidate), CancellationToken.None);
        return path;
    }

    private static BundleSource Source<T>(string label, ICandidate<T> candidate) where T : ILabelledData =>
        new(label, candidate.Name, candidate.Family, candidate.Hyperparameters, new Dictionary<string, double>(), null, "synthetic");
}

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlwb-samples-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
