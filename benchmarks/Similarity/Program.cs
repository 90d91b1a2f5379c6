// Sentence-similarity benchmark on the STS Benchmark: train on train, select on dev, score test once.
// Usage: dotnet run -c Release --project benchmarks/Similarity -- [--device cpu|cuda|auto] [--epochs N] [--cross-epochs N]
//        [--max-train-pairs N] [--bi-lr X] [--cross-lr X] [--batch N] [--bi-max-length N] [--cross-max-length N]
//        [--evals-per-epoch N] [--patience N] [candidate ...]
// Reads datasets/stsb-open, the benchmark's openly licensed genres bundled with the repository (or --data DIR: a folder
// with sts-train.csv, sts-dev.csv and sts-test.csv, e.g. the full benchmark unpacked from Stsbenchmark.tar.gz);
// writes benchmarks/out/similarity/results.json and prints a Markdown table with the published anchors.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Similarity;
using MLWorkbench.AutoML;
using MLWorkbench.Tasks;

var options = new Dictionary<string, string>();
var names = new List<string>();
for (var i = 0; i < args.Length; i++)
    if (args[i].StartsWith("--", StringComparison.Ordinal)) options[args[i][2..]] = args[++i];
    else names.Add(args[i]);
string Option(string key, string fallback) => options.TryGetValue(key, out var v) ? v : fallback;
double Number(string key, double fallback) => double.Parse(Option(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var repo = FindRepo();
var data = Path.GetFullPath(Option("data", Path.Combine(repo, "datasets", "stsb-open")));
var output = Path.Combine(repo, "benchmarks", "out", "similarity");
Directory.CreateDirectory(output);
var device = TaskNames.ParseDevice(Option("device", "cpu")) ?? throw new ArgumentException("--device must be cpu, cuda or auto");
var epochs = (int)Number("epochs", 1);
int? maxPairs = options.ContainsKey("max-train-pairs") ? (int)Number("max-train-pairs", 0) : null;
var bi = new MiniLmFineTuneOptions
{
    Epochs = epochs, BatchSize = (int)Number("batch", 16), MaxLength = (int)Number("bi-max-length", 64), LearningRate = Number("bi-lr", 2e-5),
    EvaluationsPerEpoch = (int)Number("evals-per-epoch", 2), Patience = (int)Number("patience", 2), MaxTrainPairs = maxPairs,
};
var cross = bi with { MaxLength = (int)Number("cross-max-length", 128), LearningRate = Number("cross-lr", 4e-5), Epochs = (int)Number("cross-epochs", epochs) };
if (names.Count == 0) names.AddRange(SimilarityCandidates.Names);
ICandidate<SentencePairs> Create(string name) => name switch
{
    "minilm-biencoder" => new SavingPredictions(SimilarityCandidates.BiEncoder(bi), output),
    "minilm-crossencoder" => new SavingPredictions(SimilarityCandidates.CrossEncoder(cross), output),
    _ => SimilarityCandidates.Create(name),
};

var prepared = SimilarityExperiment.Prepare("stsb", Path.Combine(data, "sts-train.csv"), Path.Combine(data, "sts-dev.csv"),
    Path.Combine(data, "sts-test.csv"), 0, 0, seed: 42, device, ["lexical-fasttree"]);
prepared = prepared.WithCandidates(names.Select(Create).ToArray());
Console.WriteLine($"STS-B ({data}): train {prepared.Train.Rows}, dev {prepared.Validation.Rows}, test {prepared.Test.Rows}; device {device}; " +
    $"fine-tuning: bi {bi.Epochs} epoch(s) lr {bi.LearningRate}, cross {cross.Epochs} epoch(s) lr {cross.LearningRate}, batch {bi.BatchSize}, evaluations/epoch {bi.EvaluationsPerEpoch}, patience {bi.Patience}, bi max length {bi.MaxLength}, cross max length {cross.MaxLength}, pairs {maxPairs?.ToString() ?? "all"}; " +
    $"{Environment.ProcessorCount} cores, load average {LoadAverage()}");

var clock = Stopwatch.StartNew();
var progress = new Progress<TrialProgress>(p => Console.WriteLine(p.Status is null
    ? $"  [{clock.Elapsed:mm\\:ss}] {p.Candidate} ... (load {LoadAverage()})"
    : $"  [{clock.Elapsed:mm\\:ss}] {p.Candidate}: {p.Status}"));
var result = await prepared.RunAsync(progress);
File.WriteAllText(Path.Combine(output, "results.json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));

Console.WriteLine();
Console.WriteLine("| Candidate | Dev Spearman | Test Spearman | Test Pearson | Test MSE | Train s | µs / pair | Status |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
foreach (var t in result.Trials)
{
    string M(Dictionary<string, double> m, string k) => m.TryGetValue(k, out var v) ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "—";
    Console.WriteLine($"| {t.Candidate} | {M(t.Metrics.Validation, "spearman")} | {M(t.Metrics.Test, "spearman")} | {M(t.Metrics.Test, "pearson")} | " +
        $"{M(t.Metrics.Test, "mse")} | {t.TrainSeconds:0} | {t.PredictMicrosecondsPerRow:0} | {t.Status}{(t.Reason is null ? "" : ": " + t.Reason)} |");
}
// The anchors are figures on the FULL benchmark's test split (all genres); the bundled open part is easier (captions only).
Console.WriteLine("| anchor, full STS-B test: all-MiniLM-L6-v2 zero-shot (measured on this machine earlier) | | 0.8205 | | | | | |");
Console.WriteLine("| anchor, full STS-B test: SBERT bi-encoder (BERT-base, STSb train; Reimers & Gurevych 2019, published) | | 0.8467 | | | | | |");
Console.WriteLine("| anchor, full STS-B test: BERT-base cross-encoder (STSb train; same paper, published) | | 0.8877 | | | | | |");
Console.WriteLine($"best on dev: {result.Best}; total {clock.Elapsed.TotalMinutes:0.0} min; load average at the end {LoadAverage()}");
foreach (var t in result.Trials.Where(t => t.Curves.Count > 0))
    foreach (var c in t.Curves.Where(c => c.Per != "step"))
        Console.WriteLine($"  {t.Candidate} {c.Name} per {c.Per}: {string.Join(", ", c.Values.Select(v => v.ToString("0.0000", CultureInfo.InvariantCulture)))}");
if (result.Trials.FirstOrDefault(t => t.Candidate == result.Best) is { } best)
{
    Console.WriteLine($"largest test errors of {best.Candidate}:");
    foreach (var e in prepared.LargestErrors(best, 5))
        Console.WriteLine($"  line {e.Line}: gold {e.Gold:0.00}, predicted {e.Predicted:0.00}: \"{e.Sentence1}\" / \"{e.Sentence2}\"");
}

static string FindRepo()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
    throw new DirectoryNotFoundException("Run from inside the repository (MLWorkbench.sln not found).");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

/// <summary>
/// Passes a candidate through and writes its trained model's dev predictions (and, when the runner asks, test predictions)
/// to <c>&lt;output&gt;/&lt;name&gt;.predictions.json</c>, so that an average of two models can be selected on dev afterwards
/// (benchmarks/Similarity/average.py) without training them again.
/// </summary>
sealed class SavingPredictions(ICandidate<SentencePairs> inner, string output) : ICandidate<SentencePairs>
{
    public string Name => inner.Name;
    public ModelFamily Family => inner.Family;
    public IReadOnlyDictionary<string, object?> Hyperparameters => inner.Hyperparameters;
    public string? SkipReason => inner.SkipReason;

    public async Task<ITrainedModel<SentencePairs>> FitAsync(SentencePairs train, SentencePairs validation, TrainContext context, CancellationToken cancellationToken)
    {
        var model = await inner.FitAsync(train, validation, context, cancellationToken);
        return new Model(model, Path.Combine(output, $"{inner.Name}.predictions.json"), validation);
    }

    sealed class Model(ITrainedModel<SentencePairs> inner, string path, SentencePairs validation) : ITrainedModel<SentencePairs>
    {
        readonly Dictionary<string, float[]> _saved = [];
        public IReadOnlyList<MLWorkbench.Results.Curve> Curves => inner.Curves;

        public MLWorkbench.Models.Predictions Predict(SentencePairs data)
        {
            var predictions = inner.Predict(data);
            // The runner predicts the validation set (the same object it passed to FitAsync) and then the test set.
            _saved[ReferenceEquals(data, validation) ? "dev" : _saved.ContainsKey("dev") ? "test" : $"other{_saved.Count}"] = predictions.Values;
            File.WriteAllText(path, JsonSerializer.Serialize(_saved));
            return predictions;
        }

        public void Dispose() => inner.Dispose();
    }
}
