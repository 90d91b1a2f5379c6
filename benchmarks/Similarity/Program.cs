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
using MLWorkbench;
using MLWorkbench.AutoML;
using MLWorkbench.Experiments;
using MLWorkbench.Results;
using MLWorkbench.Serving;
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
// The fine-tuning settings as a user gives them (ExperimentSpec.CandidateSettings; see its documentation for the ones never searched).
var bi = new Dictionary<string, object>
{
    ["epochs"] = epochs, ["batchSize"] = (int)Number("batch", 16), ["maxLength"] = (int)Number("bi-max-length", 64), ["learningRate"] = Number("bi-lr", 2e-5),
    ["evaluationsPerEpoch"] = (int)Number("evals-per-epoch", 2), ["patience"] = (int)Number("patience", 2),
};
if (maxPairs is { } most) bi["maxTrainPairs"] = most;
var cross = new Dictionary<string, object>(bi)
{
    ["maxLength"] = (int)Number("cross-max-length", 128), ["learningRate"] = Number("cross-lr", 4e-5), ["epochs"] = (int)Number("cross-epochs", epochs),
};
var workbench = new Workbench();
if (names.Count == 0) names.AddRange(workbench.SentencePairs.CandidateNames(TaskKind.SentenceSimilarity));
var fineTuned = new Dictionary<string, Dictionary<string, object>> { ["minilm-biencoder"] = bi, ["minilm-crossencoder"] = cross };
string Setting(Dictionary<string, object> s, string key) => Convert.ToString(s[key], CultureInfo.InvariantCulture)!;
Console.WriteLine($"STS-B ({data}); device {device}; " +
    $"fine-tuning: bi {Setting(bi, "epochs")} epoch(s) lr {Setting(bi, "learningRate")}, cross {Setting(cross, "epochs")} epoch(s) lr {Setting(cross, "learningRate")}, batch {Setting(bi, "batchSize")}, evaluations/epoch {Setting(bi, "evaluationsPerEpoch")}, patience {Setting(bi, "patience")}, bi max length {Setting(bi, "maxLength")}, cross max length {Setting(cross, "maxLength")}, pairs {maxPairs?.ToString(CultureInfo.InvariantCulture) ?? "all"}; " +
    $"{Environment.ProcessorCount} cores, load average {LoadAverage()}");

var clock = Stopwatch.StartNew();
var progress = new Progress<TrialProgress>(p => Console.WriteLine(p.Status is null
    ? $"  [{clock.Elapsed:mm\\:ss}] {p.Candidate} ... (load {LoadAverage()})"
    : $"  [{clock.Elapsed:mm\\:ss}] {p.Candidate}: {p.Status}"));
// One comparison per candidate on the same files (train, dev selects, test scored once), as a user runs it. The
// fine-tuned encoders save their bundle, which scores the dev pairs again for average.py.
var runs = new List<ExperimentResult>();
foreach (var name in names)
{
    var bundle = fineTuned.ContainsKey(name) ? Path.Combine(output, name + ".mlwb") : null;
    var run = await workbench.Prepare(new ExperimentSpec
    {
        Name = "stsb", Task = TaskKind.SentenceSimilarity, DataPath = Path.Combine(data, "sts-train.csv"), ValidationPath = Path.Combine(data, "sts-dev.csv"),
        TestPath = Path.Combine(data, "sts-test.csv"), Label = "score", ValidationFraction = 0, TestFraction = 0, Seed = 42, Device = device,
        Candidates = [name], ModelPath = bundle,
        CandidateSettings = fineTuned.TryGetValue(name, out var settings) ? new() { [name] = settings } : new Dictionary<string, IReadOnlyDictionary<string, object>>(),
    }).RunAsync(progress, CancellationToken.None);
    runs.Add(run);
    if (runs.Count == 1)
        Console.WriteLine($"train {run.Split.TrainRows}, dev {run.Split.ValidationRows}, test {run.Split.TestRows}");
    if (bundle is not null && File.Exists(bundle) && run.Trials[0].TestPredictions is { } test)
        SavePredictions(bundle, Path.Combine(data, "sts-dev.csv"), test, Path.Combine(output, $"{name}.predictions.json"));
}
// One results file for every candidate, as one comparison writes it; the best by dev Spearman.
var all = runs[0];
all.Trials = [.. runs.SelectMany(r => r.Trials)];
all.Best = all.Trials.Where(t => t.Status == TrialStatus.Succeeded && t.Metrics.Validation.ContainsKey("spearman"))
    .OrderByDescending(t => t.Metrics.Validation["spearman"]).FirstOrDefault()?.Candidate;
File.WriteAllText(Path.Combine(output, "results.json"), JsonSerializer.Serialize(all, new JsonSerializerOptions { WriteIndented = true }));
var result = all;

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
// The comparison of the best candidate lists its largest test errors (TestItems), largest first.
if (runs.FirstOrDefault(r => r.Trials[0].Candidate == result.Best) is { TestItems: { } items, TestLabels: { } gold } bestRun
    && bestRun.Trials[0].TestPredictions is { } predicted)
{
    Console.WriteLine($"largest test errors of {result.Best}:");
    foreach (var e in items.Take(5))
        Console.WriteLine($"  {e.Source}: gold {gold[e.Row]:0.00}, predicted {predicted[e.Row]:0.00}: \"{e.Text}\" / \"{e.SecondText}\"");
}

static string FindRepo()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
    throw new DirectoryNotFoundException("Run from inside the repository (MLWorkbench.sln not found).");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

/// <summary>
/// Writes a fine-tuned encoder's dev predictions (its saved bundle scoring every dev pair, file order) and test
/// predictions (recorded by the comparison) to <paramref name="path"/> as <c>{"dev": [...], "test": [...]}</c>, so that an
/// average of two models can be selected on dev afterwards (benchmarks/Similarity/average.py) without training them again.
/// </summary>
static void SavePredictions(string bundle, string devFile, IReadOnlyList<double> test, string path)
{
    using var model = WorkbenchModel.Load(bundle);
    // STS files: tab-separated, no header; the sentences in the sixth and seventh fields.
    var dev = File.ReadLines(devFile).Where(l => l.Trim().Length > 0).Select(l => l.Split('\t')).Select(f => model.ScorePair(f[5], f[6])).ToArray();
    File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, float[]> { ["dev"] = dev, ["test"] = [.. test.Select(v => (float)v)] }));
}
