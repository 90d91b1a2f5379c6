// Issue 3 benchmark: every trainer of the task at its defaults, then AutoML per tuner at a short budget and the
// chosen tuner(s) at a long budget, on the fixed splits written by prepare_splits.py. Writes
// benchmarks/out/automl.json (rewritten after every run, so a crash keeps what finished) and automl.md.
//
//   dotnet run -c Release --project benchmarks/AutoML -- [--datasets wine,breast-cancer,ames] [--budgets 60,300]
//       [--tuners random,grid,cfo,tpe] [--long-tuners best+cfo|best|none|cfo,tpe] [--folds 5] [--seed 42] [--max-minutes 35] [--pruner median|none]
//       [--skip-defaults] [--resume] [--out benchmarks/out] [--data benchmarks/out]
//
// --pruner applies to every AutoML run of the invocation; only median-pruner runs enter the tuner ranking and the
// choice of the long-budget tuner. --resume keeps finished runs of automl.json and adds the missing ones.
// --data holds splits.json, <name>/train.csv, <name>/test.csv and sklearn.json; --out gets automl.json and automl.md.
//
// The long-budget tuner is chosen per data set by the best cross-validation score at the short budget (the search's
// own objective), never by the test score. --max-minutes only drops the extra cfo runs of best+cfo.
//
// The searches go through the public API a user has (Workbench.PrepareSearch). The trainers at their defaults are fit
// by MLWorkbench.Probes.TrainerDefaults (benchmarks/AutoMLSuite, copied next to this program), a probe that sees the
// library's internals: one trainer fit on every training row and scored on the test rows is not a public call (a
// comparison keeps validation rows of its own). --probe, which scores one configuration fold by fold, runs there too.

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MLWorkbench;
using MLWorkbench.AutoML;
using MLWorkbench.Experiments;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var root = FindRoot();
if (args.Length > 0 && args[0] == "--probe")
    return await TrainerDefaults.RunAsync(["--probe", Path.Combine(root, "benchmarks", "out"), .. args[1..]]);
var workbench = new Workbench();
var options = BenchOptions.Parse(args);
var outDir = Path.GetFullPath(Path.Combine(root, options.Out));
var dataDir = Path.GetFullPath(Path.Combine(root, options.Data));
var splitsPath = Path.Combine(dataDir, "splits.json");
Directory.CreateDirectory(outDir);
if (!File.Exists(splitsPath))
{
    Console.Error.WriteLine($"{splitsPath} is missing: run /usr/bin/python3 benchmarks/AutoML/prepare_splits.py first.");
    return 2;
}
var splits = JsonNode.Parse(File.ReadAllText(splitsPath))!.AsObject();
var jsonPath = Path.Combine(outDir, "automl.json");
var json = new JsonSerializerOptions
{
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
};
var report = options.Resume && File.Exists(jsonPath)
    ? JsonSerializer.Deserialize<BenchReport>(File.ReadAllText(jsonPath), json)!
    : new BenchReport();
report.Started ??= DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
report.Machine = $"{Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}";
report.Arguments.Add(string.Join(' ', args));
void Save() => File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, json));

var total = Stopwatch.StartNew();
var loaded = new Dictionary<string, LoadedData>();
// Phase 1, per data set: (a) every trainer at its defaults, (b) AutoML with every tuner at the short budget.
foreach (var name in options.Datasets)
{
    var meta = splits[name] ?? throw new InvalidOperationException($"Data set '{name}' is not in {splitsPath}.");
    var label = meta["label"]!.GetValue<string>();
    var task = TaskNames.Parse(meta["task"]!.GetValue<string>()) ?? throw new InvalidOperationException("bad task");
    var trainPath = Path.Combine(dataDir, name, "train.csv");
    var testPath = Path.Combine(dataDir, name, "test.csv");
    var trainRows = Workbench.ReadCsv(trainPath).Rows.Count;
    var testRows = Workbench.ReadCsv(testPath).Rows.Count;
    if (!report.Datasets.TryGetValue(name, out var ds))
        report.Datasets[name] = ds = new DatasetReport();
    loaded[name] = new LoadedData(name, ds, task, label, trainPath, trainRows, testPath, testRows);
    ds.Task = task.ToName();
    ds.Label = label;
    ds.PrimaryMetric = PrimaryMetric(task);
    ds.TrainRows = trainRows;
    ds.TestRows = testRows;
    Console.WriteLine($"## {name}: {task.ToName()}, label {label}, {trainRows} train / {testRows} test rows");

    // (a) every trainer of the task at its defaults: featurizer fit on the training rows, fit, score on test (TorchSharp
    // models stop early on a seeded tenth of the training rows, as the AutoML final refit does), one file per trainer.
    if (!options.SkipDefaults && !(options.Resume && ds.Defaults.Count > 0))
    {
        ds.Defaults.Clear();
        var defaultsDir = Path.Combine(outDir, "defaults", name);
        if (Directory.Exists(defaultsDir)) Directory.Delete(defaultsDir, recursive: true); // the probe skips trainers with a file
        var trainers = workbench.Tabular.CandidateNames(task);
        var code = await TrainerDefaults.RunAsync(["--task", task.ToName(), "--label", label, "--train", trainPath, "--test", testPath,
            "--seed", options.Seed.ToString(CultureInfo.InvariantCulture), "--trainers", string.Join(',', trainers), "--out", defaultsDir]);
        if (code != 0) throw new InvalidOperationException($"MLWorkbench.Probes.TrainerDefaults exited with code {code} on {name}.");
        foreach (var trainer in trainers)
        {
            var record = JsonNode.Parse(File.ReadAllText(Path.Combine(defaultsDir, trainer + ".json")))!;
            var succeeded = record["status"]?.GetValue<string>() == "succeeded";
            var entry = new DefaultResult
            {
                Trainer = trainer,
                Family = record["family"]?.GetValue<string>() ?? "",
                Hyperparameters = record["hyperparameters"]?.AsObject().ToDictionary(p => p.Key, p => p.Value?.GetValue<string>()) ?? [],
                TrainSeconds = (succeeded ? record["trainSeconds"] : record["seconds"])!.GetValue<double>(),
                Test = record["test"]?.AsObject().ToDictionary(p => p.Key, p => p.Value?.GetValue<double>() ?? double.NaN),
                Primary = record["primary"]?.GetValue<double>(),
                TestErrors = record["testErrors"]?.GetValue<int>(),
                Error = record["error"]?.GetValue<string>(),
            };
            ds.Defaults.Add(entry);
            Console.WriteLine($"  default {entry.Trainer,-17} {ds.PrimaryMetric} {Fmt(entry.Primary)}{ErrorsText(entry.TestErrors, ds.TestRows)}  fit {entry.TrainSeconds:0.00} s{(entry.Error is null ? "" : "  FAILED: " + entry.Error)}");
        }
        Save();
    }

    // (b) AutoML: every tuner at the short budget.
    foreach (var tuner in options.Tuners)
        await RunAutoML(loaded[name], tuner, options.Budgets[0]);
}

// Phase 2, per long budget: the tuner with the best CV score at the short budget on every data set; then, with
// "best+cfo", cfo where it was not the best, largest data set first, only while the projected total stays under
// --max-minutes (a run is projected at 1.15 x its budget + 30 s).
foreach (var budget in options.Budgets.Skip(1))
{
    var plan = options.Datasets.Select(n => (Data: loaded[n], Tuners: LongTuners(loaded[n]))).ToList();
    foreach (var (data, tuners) in plan)
        await RunAutoML(data, tuners[0], budget);
    foreach (var (data, tuners) in plan.OrderByDescending(p => p.Data.TrainRows))
        foreach (var tuner in tuners.Skip(1))
        {
            var projected = total.Elapsed.TotalSeconds + budget * 1.15 + 30;
            if (options.LongTuners == "best+cfo" && projected > options.MaxMinutes * 60)
            {
                Console.WriteLine($"  automl {tuner} {budget} s on {data.Name}: skipped, the total would reach {projected / 60:0} min (> {options.MaxMinutes} min)");
                data.Report.Skipped.Add($"{tuner} {budget} s: skipped to keep the total under {options.MaxMinutes} min (projected {projected / 60:0} min)");
                Save();
                continue;
            }
            await RunAutoML(data, tuner, budget);
        }
}
report.Finished = DateTimeOffset.Now.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
report.TotalSeconds += total.Elapsed.TotalSeconds;
Save();
var markdown = Markdown(report, LoadSklearn(Path.Combine(dataDir, "sklearn.json")), options.Budgets[0]);
File.WriteAllText(Path.Combine(outDir, "automl.md"), markdown);
Console.WriteLine();
Console.WriteLine(markdown);
return 0;

List<string> LongTuners(LoadedData data)
{
    var spec = options.LongTuners;
    if (spec == "none") return [];
    if (spec is not ("best" or "best+cfo")) return [.. spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    var higher = data.Task != TaskKind.Regression;
    var best = data.Report.AutoML.Where(r => r.Budget == options.Budgets[0] && r.Pruner == "median" && r.BestCv is not null && options.Tuners.Contains(r.Tuner))
        .OrderBy(r => higher ? -r.BestCv!.Value : r.BestCv!.Value)
        .ThenBy(r => options.Tuners.IndexOf(r.Tuner)).Select(r => r.Tuner).FirstOrDefault() ?? "cfo";
    return spec == "best+cfo" && best != "cfo" ? [best, "cfo"] : [best];
}

async Task RunAutoML(LoadedData data, string tuner, double budget)
{
    var (name, ds, task, label, trainPath, _, testPath, _) = data;
    var pruner = options.Pruner;
    if (options.Resume && ds.AutoML.Any(r => r.Tuner == tuner && r.Budget == budget && r.Pruner == pruner && r.Final is not null))
    {
        Console.WriteLine($"  automl {tuner} {budget} s (pruner {pruner}): kept from the earlier run");
        return;
    }
    ds.AutoML.RemoveAll(r => r.Tuner == tuner && r.Budget == budget && r.Pruner == pruner);
    var run = new AutoMLRun { Tuner = tuner, Budget = budget, Pruner = pruner, Folds = options.Folds, Seed = options.Seed, LoadBefore = LoadAverage() };
    var clock = Stopwatch.StartNew();
    var cpuBefore = CpuSeconds();
    var progress = new TrialLog(clock);
    try
    {
        // As a user searches: every training row is searched by cross-validation, the test file scored once.
        var search = workbench.PrepareSearch(new ExperimentSpec
        {
            Name = $"{name}-{tuner}-{budget}", Task = task, DataPath = trainPath, TestPath = testPath, Label = label, Seed = options.Seed,
            AutoML = new AutoMLOptions { Task = task, Label = label, Folds = options.Folds, Seed = options.Seed, Tuner = tuner, BudgetSeconds = budget, Pruner = pruner },
        });
        run.PrepareSeconds = clock.Elapsed.TotalSeconds;
        var result = await search.RunAsync(progress, CancellationToken.None);
        run.WallSeconds = clock.Elapsed.TotalSeconds;
        run.StopReason = result.AutoML?.StopReason;
        run.Trials = result.Trials.Count;
        run.Complete = result.Trials.Count(t => t.Status == TrialStatus.Succeeded);
        run.Pruned = result.Trials.Count(t => t.Status == TrialStatus.Pruned);
        run.Failed = result.Trials.Count(t => t.Status == TrialStatus.Failed);
        run.TrialLog = [.. result.Trials.Select(t => new TrialRecord(t.Number ?? -1, t.Candidate, t.Status,
            t.Metrics.Validation.TryGetValue(ds.PrimaryMetric, out var cv) ? cv : null, t.Folds?.Count ?? 0,
            Math.Round(t.TrainSeconds, 3), Math.Round(t.FinishedAtSeconds ?? 0, 2)))];
        run.TrialsByTrainer = result.Trials.GroupBy(t => t.Candidate).ToDictionary(g => g.Key, g => g.Count());
        run.FailureReasons = result.Trials.Where(t => t.Status == TrialStatus.Failed && t.Reason is not null)
            .GroupBy(t => $"{t.Candidate}: {Shorten(t.Reason!)}").ToDictionary(g => g.Key, g => g.Count());
        // Best-so-far mean CV score of completed trials over time (pruned trials have only partial folds).
        var higher = task != TaskKind.Regression;
        double? bestSoFar = null;
        foreach (var t in result.Trials.Where(t => t.Status == TrialStatus.Succeeded).OrderBy(t => t.FinishedAtSeconds))
        {
            if (!t.Metrics.Validation.TryGetValue(ds.PrimaryMetric, out var v)) continue;
            if (bestSoFar is null || (higher ? v > bestSoFar : v < bestSoFar))
            {
                bestSoFar = v;
                run.BestCvOverTime.Add(new CurvePoint(Math.Round(t.FinishedAtSeconds ?? 0, 2), v, t.Number ?? -1, t.Candidate));
            }
        }
        run.BestCv = bestSoFar;
        foreach (var at in new double[] { 5, 10, 20, 30, 60, 120, 180, 300 }.Where(a => a <= budget))
            run.BestCvAt[at.ToString(CultureInfo.InvariantCulture)] = run.BestCvOverTime.LastOrDefault(p => p.Seconds <= at)?.Score;
        var final = result.AutoML?.Final;
        if (final is not null)
        {
            run.Trainer = final.Candidate;
            run.FinalTrial = final.Number;
            run.FinalHyperparameters = final.Hyperparameters.ToDictionary(p => p.Key, p => p.Value?.ToString());
            run.FinalStatus = final.Status;
            run.FinalReason = final.Reason;
            run.FinalTrainSeconds = final.TrainSeconds;
            run.FinalCv = final.Metrics.Validation.GetValueOrDefault(ds.PrimaryMetric, double.NaN);
            run.Final = final.Metrics.Test;
            run.Primary = final.Metrics.Test.TryGetValue(ds.PrimaryMetric, out var p) ? p : null;
            if (task.IsClassification() && final.TestPredictions is { } predictions && result.TestLabels is { } labels)
                run.TestErrors = predictions.Zip(labels).Count(z => z.First != z.Second);
        }
    }
    catch (Exception e)
    {
        run.WallSeconds = clock.Elapsed.TotalSeconds;
        run.Error = e.ToString();
    }
    run.LoadAfter = LoadAverage();
    run.CpuSeconds = CpuSeconds() - cpuBefore;
    ds.AutoML.Add(run);
    Save();
    Console.WriteLine($"  automl {tuner,-6} {budget,4} s{(pruner == "median" ? "" : $" (pruner {pruner})")}: test {ds.PrimaryMetric} {Fmt(run.Primary)}{ErrorsText(run.TestErrors, ds.TestRows)}, cv {Fmt(run.BestCv)}, " +
        $"{run.Trainer ?? "-"} (trial {run.FinalTrial}), {run.Trials} trials ({run.Complete} complete, {run.Pruned} pruned, {run.Failed} failed), " +
        $"wall {run.WallSeconds:0} s, cpu {run.CpuSeconds:0} s, load {run.LoadBefore}->{run.LoadAfter}{(run.Error is null ? "" : "\n  ERROR: " + run.Error)}");
}

static double CpuSeconds()
{
    using var me = Process.GetCurrentProcess();
    return me.TotalProcessorTime.TotalSeconds;
}

// The metric the library ranks a tabular task by (ExperimentResult.PrimaryMetric), needed before the first run.
static string PrimaryMetric(TaskKind task) => task == TaskKind.Regression ? "rmse" : "accuracy";

static string ErrorsText(int? errors, int rows) => errors is { } e ? $" ({e}/{rows} errors)" : "";

static string Fmt(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

static string Describe(Exception e) => e.InnerException is { } inner && e is AggregateException or TypeInitializationException ? Describe(inner) : $"{e.GetType().Name}: {e.Message}";

static string Shorten(string s) => s.Length <= 120 ? s : s[..120] + "…";

static string LoadAverage()
{
    try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "?"; }
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
    throw new InvalidOperationException("Run from inside the MLWorkbench repository.");
}

static JsonObject? LoadSklearn(string path) => File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : null;

static string Markdown(BenchReport report, JsonObject? sklearn, double shortBudget)
{
    var md = new StringBuilder();
    var tunerRanksCv = new Dictionary<string, List<double>>();
    var tunerRanksTest = new Dictionary<string, List<double>>();
    foreach (var (name, ds) in report.Datasets)
    {
        var higher = ds.Task != "regression";
        var metric = ds.PrimaryMetric;
        string Cell(double? v, int? errors) => Fmt(v) + (errors is { } e ? $" ({e} err)" : "");
        md.AppendLine(CultureInfo.InvariantCulture, $"#### {name} — {ds.Task}, test {metric}{(higher ? " (higher is better)" : " (lower is better)")}, {ds.TrainRows} train / {ds.TestRows} test rows");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"| Model | Test {metric} | Fit / search | Notes |");
        md.AppendLine("|---|---|---|---|");
        foreach (var d in ds.Defaults)
            md.AppendLine(CultureInfo.InvariantCulture, $"| {d.Trainer} (defaults, {d.Family}) | {Cell(d.Primary, d.TestErrors)} | {d.TrainSeconds:0.00} s | {(d.Error is null ? "" : "failed: " + Shorten(d.Error))} |");
        if (sklearn?["datasets"]?[name]?["models"] is JsonObject models)
            foreach (var (key, value) in models)
            {
                var label = key == "hgb" ? "scikit-learn HistGradientBoosting" : "scikit-learn RandomForest";
                var errors = value?["test_errors"]?.GetValue<int>();
                md.AppendLine(CultureInfo.InvariantCulture, $"| {label} (defaults) | {Cell(value?["primary"]?.GetValue<double>(), errors)} | {value?["train_seconds"]?.GetValue<double>():0.00} s | sklearn {sklearn["sklearn"]} |");
            }
        foreach (var r in ds.AutoML.OrderBy(r => r.Budget).ThenBy(r => r.Pruner != "median").ThenBy(r => r.Tuner, StringComparer.Ordinal))
        {
            var notes = r.Error is not null ? "ERROR: " + Shorten(r.Error)
                : $"→ {r.Trainer}; CV {Fmt(r.BestCv)}; {r.Trials} trials ({r.Complete} ok, {r.Pruned} pruned, {r.Failed} failed)";
            md.AppendLine(CultureInfo.InvariantCulture, $"| AutoML {r.Tuner} {r.Budget:0} s{(r.Pruner == "median" ? "" : $", pruner {r.Pruner}")} | {Cell(r.Primary, r.TestErrors)} | {r.WallSeconds:0} s | {notes} |");
        }
        foreach (var skipped in ds.Skipped.Where(k => !ds.AutoML.Any(r => k.StartsWith($"{r.Tuner} {r.Budget:0} s:", StringComparison.Ordinal) && r.Error is null)))
            md.AppendLine(CultureInfo.InvariantCulture, $"\nNot run: {skipped}.");
        md.AppendLine();

        // Targets: the long-budget AutoML beats the best ML.NET trainer at defaults by >= 3% RMSE (or >= 1 point of
        // accuracy) and is no worse than scikit-learn's HistGradientBoosting.
        var bestDefault = ds.Defaults.Where(d => d.Family == "mlnet" && d.Primary is not null)
            .OrderBy(d => higher ? -d.Primary!.Value : d.Primary!.Value).FirstOrDefault();
        var hgb = sklearn?["datasets"]?[name]?["models"]?["hgb"]?["primary"]?.GetValue<double>();
        foreach (var r in ds.AutoML.Where(r => r.Budget > shortBudget && r.Primary is not null).OrderBy(r => r.Budget).ThenBy(r => r.Pruner != "median"))
        {
            if (bestDefault is null) break;
            var a = r.Primary!.Value;
            var d = bestDefault.Primary!.Value;
            var beats = higher ? a - d >= 0.01 - 1e-12 : (d - a) / d >= 0.03 - 1e-12;
            var gain = higher ? $"{(a - d) * 100:+0.0;-0.0;0.0} points" : $"{(d - a) / d * 100:+0.0;-0.0;0.0}% lower RMSE";
            var vsHgb = hgb is { } h ? (higher ? a >= h - 1e-12 : a <= h + 1e-12) : (bool?)null;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"Target, AutoML {r.Tuner} {r.Budget:0} s{(r.Pruner == "median" ? "" : $" (pruner {r.Pruner})")}: {Fmt(a)} vs best ML.NET default {bestDefault.Trainer} {Fmt(d)} ({gain}) → " +
                $"{(beats ? "beats it by the margin" : "does NOT beat it by the margin")}; vs HGB {Fmt(hgb)} → {(vsHgb switch { true => "no worse", false => "WORSE", null => "n/a" })}; " +
                $"target {(beats && vsHgb == true ? "MET" : "NOT MET")}.");
            md.AppendLine();
        }

        // Tuner ranks at the short budget: by best CV score (the search objective) and by test score.
        var shortRuns = ds.AutoML.Where(r => r.Budget == shortBudget && r.Pruner == "median" && r.Error is null).ToList();
        void Rank(Func<AutoMLRun, double?> score, Dictionary<string, List<double>> into)
        {
            var scored = shortRuns.Where(r => score(r) is not null).Select(r => (r.Tuner, Loss: higher ? -score(r)!.Value : score(r)!.Value)).ToList();
            foreach (var (tuner, loss) in scored)
            {
                var better = scored.Count(s => s.Loss < loss - 1e-12);
                var ties = scored.Count(s => Math.Abs(s.Loss - loss) <= 1e-12);
                (into.TryGetValue(tuner, out var list) ? list : into[tuner] = []).Add(better + (ties + 1) / 2.0);
            }
        }
        Rank(r => r.BestCv, tunerRanksCv);
        Rank(r => r.Primary, tunerRanksTest);
    }
    md.AppendLine(CultureInfo.InvariantCulture, $"Tuner mean rank at {shortBudget:0} s (1 = best; ties share the mean rank):");
    md.AppendLine();
    md.AppendLine("| Tuner | Mean rank by CV score | Mean rank by test score |");
    md.AppendLine("|---|---|---|");
    foreach (var tuner in tunerRanksCv.Keys.Union(tunerRanksTest.Keys).OrderBy(t => tunerRanksCv.GetValueOrDefault(t)?.Average() ?? 99))
        md.AppendLine(CultureInfo.InvariantCulture, $"| {tuner} | {tunerRanksCv.GetValueOrDefault(tuner)?.Average():0.00} ({string.Join(", ", tunerRanksCv.GetValueOrDefault(tuner) ?? [])}) | {tunerRanksTest.GetValueOrDefault(tuner)?.Average():0.00} ({string.Join(", ", tunerRanksTest.GetValueOrDefault(tuner) ?? [])}) |");
    return md.ToString();
}

sealed class BenchOptions
{
    public List<string> Datasets { get; private set; } = ["wine", "breast-cancer", "ames"];
    public List<double> Budgets { get; private set; } = [60, 300];
    public List<string> Tuners { get; private set; } = ["random", "grid", "cfo", "tpe"];
    public string LongTuners { get; private set; } = "best+cfo";
    public string Pruner { get; private set; } = "median";
    public int Folds { get; private set; } = 5;
    public int Seed { get; private set; } = 42;
    public double MaxMinutes { get; private set; } = 35;
    public bool SkipDefaults { get; private set; }
    public bool Resume { get; private set; }
    public string Out { get; private set; } = "benchmarks/out";
    public string Data { get; private set; } = "benchmarks/out";

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        static List<string> List(string v) => [.. v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--datasets": o.Datasets = List(Next()); break;
                case "--budgets": o.Budgets = [.. List(Next()).Select(s => double.Parse(s, CultureInfo.InvariantCulture))]; break;
                case "--tuners": o.Tuners = List(Next()); break;
                case "--long-tuners": o.LongTuners = Next(); break;
                case "--pruner": o.Pruner = Next(); break;
                case "--folds": o.Folds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--max-minutes": o.MaxMinutes = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seed": o.Seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--skip-defaults": o.SkipDefaults = true; break;
                case "--resume": o.Resume = true; break;
                case "--out": o.Out = Next(); break;
                case "--data": o.Data = Next(); break;
                default: throw new ArgumentException($"Unknown argument {args[i]}");
            }
        }
        if (o.Budgets.Count == 0) throw new ArgumentException("--budgets needs at least one budget");
        return o;
    }
}

/// <summary>Writes one line per finished trial (synchronously, unlike Progress&lt;T&gt;).</summary>
sealed class TrialLog(Stopwatch clock) : IProgress<TrialProgress>
{
    public void Report(TrialProgress value)
    {
        if (value.Status is null) return;
        Console.WriteLine($"    [{clock.Elapsed.TotalSeconds,6:0.0} s] {value.Experiment} #{value.Index} {value.Candidate} {value.Status}");
    }
}

sealed class BenchReport
{
    public string? Started { get; set; }
    public string? Finished { get; set; }
    public double TotalSeconds { get; set; }
    public string? Machine { get; set; }
    public List<string> Arguments { get; set; } = [];
    public Dictionary<string, DatasetReport> Datasets { get; set; } = [];
}

sealed class DatasetReport
{
    public string Task { get; set; } = "";
    public string Label { get; set; } = "";
    public string PrimaryMetric { get; set; } = "";
    public int TrainRows { get; set; }
    public int TestRows { get; set; }
    public List<DefaultResult> Defaults { get; set; } = [];
    public List<AutoMLRun> AutoML { get; set; } = [];
    public List<string> Skipped { get; set; } = [];
}

sealed record LoadedData(string Name, DatasetReport Report, TaskKind Task, string Label, string TrainPath, int TrainRows, string TestPath, int TestRows);

sealed class DefaultResult
{
    public string Trainer { get; set; } = "";
    public string Family { get; set; } = "";
    public Dictionary<string, string?> Hyperparameters { get; set; } = [];
    public double? Primary { get; set; }
    public int? TestErrors { get; set; }
    public Dictionary<string, double>? Test { get; set; }
    public double TrainSeconds { get; set; }
    public string? Error { get; set; }
}

sealed class AutoMLRun
{
    public string Tuner { get; set; } = "";
    public double Budget { get; set; }
    public string Pruner { get; set; } = "median";
    public int Folds { get; set; }
    public int Seed { get; set; }
    public double? Primary { get; set; }
    public int? TestErrors { get; set; }
    public Dictionary<string, double>? Final { get; set; }
    public string? Trainer { get; set; }
    public int? FinalTrial { get; set; }
    public Dictionary<string, string?>? FinalHyperparameters { get; set; }
    public string? FinalStatus { get; set; }
    public string? FinalReason { get; set; }
    public double FinalTrainSeconds { get; set; }
    public double FinalCv { get; set; }
    public double? BestCv { get; set; }
    public Dictionary<string, double?> BestCvAt { get; set; } = [];
    public List<CurvePoint> BestCvOverTime { get; set; } = [];
    public int Trials { get; set; }
    public int Complete { get; set; }
    public int Pruned { get; set; }
    public int Failed { get; set; }
    public Dictionary<string, int> TrialsByTrainer { get; set; } = [];
    public List<TrialRecord> TrialLog { get; set; } = [];
    public Dictionary<string, int> FailureReasons { get; set; } = [];
    public string? StopReason { get; set; }
    public double PrepareSeconds { get; set; }
    public double WallSeconds { get; set; }
    public string? LoadBefore { get; set; }
    public string? LoadAfter { get; set; }
    public double CpuSeconds { get; set; }
    public string? Error { get; set; }
}

sealed record TrialRecord(int Number, string Trainer, string Status, double? Cv, int Folds, double Seconds, double FinishedAt);

sealed record CurvePoint(double Seconds, double Score, int Trial, string Trainer);

/// <summary>Runs MLWorkbench.Probes.TrainerDefaults, which the build copies next to this program, with its output on this console.</summary>
static class TrainerDefaults
{
    public static async Task<int> RunAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MLWorkbench.Probes.TrainerDefaults.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
