// Text classification benchmark: every available candidate on small_fine_foods' own train/test split
// (validation: 15% of train, stratified, seed 1). Prints a markdown table; the slow deep models run on a
// documented budget (see the options below) because this machine has 2 CPU cores.
// Usage: dotnet run -c Release --project benchmarks/Text [-- --finetune-examples 1200 --finetune-epochs 2 --finetune-tokens 128
//        --gru-epochs 8 --transformer-epochs 8 --torch-tokens 128 --torch-examples N (GRU/Transformer subset) candidate ...]
using System.Diagnostics;
using System.Globalization;
using MLWorkbench;
using MLWorkbench.Experiments;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

var finetuneExamples = Option("--finetune-examples", 1200);
var finetuneEpochs = Option("--finetune-epochs", 2);
var finetuneTokens = Option("--finetune-tokens", 128);
var gruEpochs = Option("--gru-epochs", 8);
var transformerEpochs = Option("--transformer-epochs", 8);
var torchTokens = Option("--torch-tokens", 128); // GRU and Transformer
int? torchExamples = Option("--torch-examples", 0) is > 0 and var n ? n : null;
// Candidate names after the options (e.g. `-- --gru-epochs 4 gru transformer`) run only those; none runs all.
var only = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToHashSet();
var root = FindRoot();
var train = Path.Combine(root, "datasets", "fine-foods", "train.csv");
var test = Path.Combine(root, "datasets", "fine-foods", "test.csv");

// The candidates as a user names them (ExperimentSpec.CandidateSettings), with the budget above for the slow networks.
Dictionary<string, object> Network(int epochs) => torchExamples is { } most
    ? new() { ["maxTokens"] = torchTokens, ["maxEpochs"] = epochs, ["patience"] = 3, ["maxTrainExamples"] = most }
    : new() { ["maxTokens"] = torchTokens, ["maxEpochs"] = epochs, ["patience"] = 3 };
(string Name, Dictionary<string, object>? Settings)[] candidates =
[
    ("ngram-sdca", null),
    ("ngram-lbfgs", null),
    ("minilm-embeddings", null),
    ("gru", Network(gruEpochs)),
    ("lstm", Network(gruEpochs)),
    ("transformer", Network(transformerEpochs)),
    ("minilm-finetune", new() { ["maxTokens"] = finetuneTokens, ["maxTrainExamples"] = finetuneExamples, ["maxEpochs"] = finetuneEpochs }),
    ("nasbert", null),
    ("ngram-lightgbm", null), // last: slow on the wide sparse n-gram features
];
var workbench = new Workbench();
Console.WriteLine("| candidate | status | test accuracy | test macro-F1 | train s | µs / prediction | notes |");
Console.WriteLine("|---|---|---|---|---|---|---|");
var clock = Stopwatch.StartNew();
// One experiment per candidate on the same seeded split, so that each row is printed as soon as it is known.
foreach (var (name, settings) in candidates.Where(c => only.Count == 0 || only.Contains(c.Name)))
{
    var spec = new ExperimentSpec
    {
        Name = "fine-foods", Task = TaskKind.TextClassification, DataPath = train, TestPath = test, TextColumn = "review", Label = "score",
        ValidationFraction = 0.15, TestFraction = 0, Seed = 1, Device = ComputeDevice.Cpu, Candidates = [name],
        CandidateSettings = settings is null ? new Dictionary<string, IReadOnlyDictionary<string, object>>() : new() { [name] = settings },
    };
    var result = await workbench.Prepare(spec).RunAsync(null, CancellationToken.None);
    Console.Error.WriteLine($"[{clock.Elapsed:mm\\:ss}] {name}: train {result.Split.TrainRows}, validation {result.Split.ValidationRows}, test {result.Split.TestRows}; {Environment.ProcessorCount} cores");
    var t = result.Trials[0];
    string Metric(string metric) => t.Metrics.Test.TryGetValue(metric, out var v) ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "–";
    var notes = t.Status == TrialStatus.Succeeded
        ? string.Join("; ", new[] { "truncatedTrainTexts", "maxTokens", "maxTrainExamples", "maxEpochs" }.Where(k => t.Hyperparameters.TryGetValue(k, out var v) && v is not null).Select(k => $"{k} {t.Hyperparameters[k]}"))
        : t.Reason ?? "";
    var epochs = t.Curves.FirstOrDefault()?.Values.Count;
    if (epochs is not null) notes += $"; epochs run {epochs}";
    Console.WriteLine($"| {t.Candidate} | {t.Status} | {Metric("accuracy")} | {Metric("macroF1")} | {t.TrainSeconds:0.0} | {t.PredictMicrosecondsPerRow:0} | {notes}; load average {LoadAverage()} |");
    foreach (var c in t.Curves)
        Console.Error.WriteLine($"  {t.Candidate} {c.Name} per {c.Per}: {string.Join(", ", c.Values.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)))}");
}
Console.WriteLine($"\ntotal {clock.Elapsed.TotalMinutes:0.0} min");

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
    throw new DirectoryNotFoundException("Run from inside the repository (MLWorkbench.sln not found above the benchmark).");
}
