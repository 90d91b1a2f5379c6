// Text classification benchmark: every available candidate on small_fine_foods' own train/test split
// (validation: 15% of train, stratified, seed 1). Prints a markdown table; the slow deep models run on a
// documented budget (see the options below) because this machine has 2 CPU cores.
// Usage: dotnet run -c Release --project benchmarks/Text [-- --finetune-examples 1200 --finetune-epochs 2]
using System.Diagnostics;
using System.Globalization;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.TextClassification;

var finetuneExamples = Option("--finetune-examples", 1200);
var finetuneEpochs = Option("--finetune-epochs", 2);
var root = FindRoot();
var train = Path.Combine(root, "datasets", "fine-foods", "train.csv");
var test = Path.Combine(root, "datasets", "fine-foods", "test.csv");

IExampleCandidate<TextExamples>[] candidates =
[
    TextCandidates.Create("ngram-sdca"),
    TextCandidates.Create("ngram-lbfgs"),
    TextCandidates.Create("minilm-embeddings"),
    TextCandidates.Torch(TextNetwork.Gru, TextCandidates.GruDefaults with { MaxTokens = 128, MaxEpochs = 8, Patience = 3 }),
    TextCandidates.Torch(TextNetwork.Transformer, TextCandidates.TransformerDefaults with { MaxTokens = 128, MaxEpochs = 8, Patience = 3 }),
    TextCandidates.Torch(TextNetwork.MiniLmFinetune, TextCandidates.FinetuneDefaults with { MaxTrainExamples = finetuneExamples, MaxEpochs = finetuneEpochs }),
    TextCandidates.Create("nasbert"),
    TextCandidates.Create("ngram-lightgbm"), // last: slow on the wide sparse n-gram features
];
Console.WriteLine("| candidate | status | test accuracy | test macro-F1 | train s | µs / prediction | notes |");
Console.WriteLine("|---|---|---|---|---|---|---|");
var clock = Stopwatch.StartNew();
// One experiment per candidate on the same seeded split, so that each row is printed as soon as it is known.
foreach (var candidate in candidates)
{
    var prepared = TextExperiment.Prepare("fine-foods", train, test, "review", "score", 0.15, 0, 1, ComputeDevice.Cpu, [candidate], null);
    Console.Error.WriteLine($"[{clock.Elapsed:mm\\:ss}] {candidate.Name}: train {prepared.Train.Rows}, validation {prepared.Validation.Rows}, test {prepared.Test.Rows}; {Environment.ProcessorCount} cores");
    var result = await prepared.RunAsync();
    var t = result.Trials[0];
    string Metric(string name) => t.Metrics.Test.TryGetValue(name, out var v) ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "–";
    var notes = t.Status == TrialStatus.Succeeded
        ? string.Join("; ", new[] { "truncatedTrainTexts", "maxTokens", "maxTrainExamples", "maxEpochs" }.Where(k => t.Hyperparameters.TryGetValue(k, out var v) && v is not null).Select(k => $"{k} {t.Hyperparameters[k]}"))
        : t.Reason ?? "";
    var epochs = t.Curves.FirstOrDefault()?.Values.Count;
    if (epochs is not null) notes += $"; epochs run {epochs}";
    Console.WriteLine($"| {t.Candidate} | {t.Status} | {Metric("accuracy")} | {Metric("macroF1")} | {t.TrainSeconds:0.0} | {t.PredictMicrosecondsPerRow:0} | {notes} |");
}
Console.WriteLine($"\ntotal {clock.Elapsed.TotalMinutes:0.0} min");

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "datasets", "fine-foods", "train.csv"))) return dir.FullName;
    throw new DirectoryNotFoundException("datasets/fine-foods was not found above the benchmark.");
}
