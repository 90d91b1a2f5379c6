using MLWorkbench.Images;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Similarity;
using MLWorkbench.Tests.Images;
using MLWorkbench.TextClassification;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests;

/// <summary>
/// Runs one small experiment per example task on the bundled data (intents, stsb-small, digits with a one-epoch CNN)
/// and checks that what they record for the report survives a write and read of the results file. With
/// <c>MLWB_RECORD_TASK_VIEWS</c> set to a file path it also writes the results there: that is how
/// <c>tests/Reports.Tests/Data/task-views-results.json</c> was recorded.
/// </summary>
public class TaskViewsRecordingTests
{
    private static string Datasets => Path.Combine(Repository.Root, "datasets");

    [Fact]
    public async Task Example_tasks_record_report_views_that_survive_the_results_file()
    {
        var text = await TextExperiment.Prepare("intents-text", Path.Combine(Datasets, "intents", "intents.csv"), null, "text", "intent", 0.2, 0.2, 42,
            ComputeDevice.Cpu, ["ngram-sdca", "ngram-lbfgs"]).RunAsync();
        var stsb = Path.Combine(Datasets, "stsb-small");
        var pairs = await SimilarityExperiment.Prepare("stsb-similarity", Path.Combine(stsb, "sts-train.csv"), Path.Combine(stsb, "sts-dev.csv"),
            Path.Combine(stsb, "sts-test.csv"), 0.2, 0.2, 42, ComputeDevice.Cpu, ["lexical-fasttree", "lexical-lightgbm"]).RunAsync();
        var prepared = ImageExperiment.Prepare("digits-images", ImageTestData.Digits, null, 0.1, 0.2, 42, ComputeDevice.Cpu, ["pixels-lbfgs"]);
        var cnn = TorchImageCandidates.Cnn(new TorchImageOptions { ImageSize = 8, Width = 16, Depth = 1, MaxEpochs = 1, Patience = 1, BatchSize = 64, Augment = false });
        var images = await prepared.WithCandidates([prepared.Candidates[0], cnn]).RunAsync();

        var results = new RunResults
        {
            Suite = "task-views", StartedUtc = new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero),
            FinishedUtc = new DateTimeOffset(2026, 11, 29, 9, 0, 30, TimeSpan.Zero),
            Environment = new EnvironmentInfo { Os = "Debian GNU/Linux 12 (bookworm)", CpuCount = 2, Device = "cpu", Seed = 42, CommandLine = "dotnet test (TaskViewsRecordingTests)" },
            Experiments = [text, pairs, images],
        };
        using var dir = new TempFolder();
        var path = Environment.GetEnvironmentVariable("MLWB_RECORD_TASK_VIEWS") is { Length: > 0 } target ? target : Path.Combine(dir.Path, "results.json");
        ResultsFile.Write(results, path);
        var read = ResultsFile.Read(path);

        Assert.Equal(ResultsFile.CurrentSchemaVersion, read.SchemaVersion);
        foreach (var (written, back) in results.Experiments.Zip(read.Experiments))
        {
            Assert.NotEmpty(back.TestItems!);
            Assert.Equal(written.TestItems!.Select(i => (i.Row, i.Text, i.SecondText, i.Image, i.Source)), back.TestItems!.Select(i => (i.Row, i.Text, i.SecondText, i.Image, i.Source)));
        }
        Assert.Equal(read.Experiments[0].TestLabels!.Count, read.Experiments[0].Trials.Single(t => t.Candidate == read.Experiments[0].Best).TestConfidences!.Count);
        Assert.Equal(read.Experiments[2].TestLabels!.Count, read.Experiments[2].Trials.Single(t => t.Candidate == read.Experiments[2].Best).TestConfidences!.Count);
        // Each listed text names its line in the data file (line 1 is the header), and that line holds the text.
        var intents = File.ReadAllLines(Path.Combine(Datasets, "intents", "intents.csv"));
        Assert.All(read.Experiments[0].TestItems!, item =>
        {
            Assert.Matches(@"^line \d+$", item.Source);
            var line = intents[int.Parse(item.Source!["line ".Length..]) - 1];
            Assert.Contains(item.Text!.TrimEnd('…'), line);
        });
        var filters = read.Experiments[2].Trials.Single(t => t.Candidate == "cnn").Filters!;
        Assert.Equal((1, 3, 3, 16), (filters.Channels, filters.Height, filters.Width, filters.Weights.Count));
        Assert.Equal(images.Trials.Single(t => t.Candidate == "cnn").Filters!.Weights.SelectMany(w => w), filters.Weights.SelectMany(w => w));
        // Texts are cut to 200 characters and at most 24 thumbnails are kept, so the file stays small.
        Assert.True(new FileInfo(path).Length < 400_000, $"results file of {new FileInfo(path).Length} bytes");
    }
}
