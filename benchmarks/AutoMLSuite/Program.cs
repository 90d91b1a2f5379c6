// Issue 15 benchmark, arm "ML.NET (and TorchSharp) trainers at their defaults": on one fixed split written by
// suite.py, the featurizer is fit on the training rows, every named trainer is fit at its defaults through the
// library's public catalog (TrainerCatalog, TabularFeaturizer, TaskMetrics) and scored once on the test rows. One
// JSON file per trainer, written when that trainer ends; a trainer whose file exists is skipped (resumable).
//
//   MLWorkbench.Probes.TrainerDefaults --task regression --label log_wage --train T.csv --test S.csv --seed 1
//       --trainers fasttree,lightgbm --out DIR
//
// suite.py runs it and adds what it alone knows (split hash, data set name, git commit) to each file it reads back.
// The AutoML benchmark (benchmarks/AutoML) runs it for its defaults arm and its --probe diagnostics (below). It is a
// probe of internal pieces (the featurizer, one trainer's fit), so it sees the library's internals (Workbench.csproj).

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

try
{
    if (args.Length > 1 && args[0] == "--probe") return await Probe.RunAsync(args[1], args[2..]);
    return await RunAsync(args);
}
catch (ArgumentException e)
{
    // Bad arguments: one sentence and exit code 2, as mlwb does.
    Console.Error.WriteLine(e.Message);
    return 2;
}

static async Task<int> RunAsync(string[] args)
{
    var arguments = args.ToList();
    string Required(string name) => BenchmarkHost.TakeOption(arguments, name)
        ?? throw new ArgumentException($"{name} is required (see the comment at the top of benchmarks/AutoMLSuite/Program.cs).");
    var task = TaskNames.Parse(Required("--task")) ?? throw new ArgumentException("--task: regression, binary or multiclass.");
    var label = Required("--label");
    var trainPath = Required("--train");
    var testPath = Required("--test");
    var seedText = Required("--seed");
    if (!int.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
        throw new ArgumentException($"--seed: '{seedText}' is not a whole number.");
    var outDir = Required("--out");
    var names = Required("--trainers").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    if (arguments.Count > 0) throw new ArgumentException($"Unknown arguments: {string.Join(' ', arguments)}");
    Directory.CreateDirectory(outDir);

    var pending = names.Where(n => !File.Exists(Path.Combine(outDir, n + ".json"))).ToArray();
    if (pending.Length == 0) return 0;
    foreach (var path in new[] { trainPath, testPath })
        if (!File.Exists(path)) throw new ArgumentException($"{path} does not exist: run suite.py split first.");
    var train = TabularData.LoadCsv(trainPath);
    var test = TabularData.LoadCsv(testPath);
    var trainRows = Enumerable.Range(0, train.Rows.Count).ToArray();
    var testRows = Enumerable.Range(0, test.Rows.Count).ToArray();
    var featurizeClock = Stopwatch.StartNew();
    var featurizer = TabularFeaturizer.Fit(train, label, task, trainRows);
    var classes = featurizer.ClassNames?.Count ?? 0;
    var testMatrix = featurizer.Transform(test, testRows);
    var trainMatrix = featurizer.Transform(train, trainRows);
    var featurizeSeconds = featurizeClock.Elapsed.TotalSeconds;
    var context = new TrainContext(task, classes, seed, ComputeDevice.Cpu);
    var primary = TaskMetrics.Primary(task);
    var json = new JsonSerializerOptions { WriteIndented = true };

    foreach (var name in pending)
    {
        var definition = TrainerCatalog.Find(name);
        var record = new JsonObject
        {
            ["trainer"] = name,
            ["loadStart"] = BenchmarkHost.LoadAverage(),
            ["featurizeSeconds"] = Math.Round(featurizeSeconds, 3),
            ["mlnetVersion"] = Version(typeof(Microsoft.ML.MLContext)),
            ["workbenchVersion"] = Version(typeof(TrainerCatalog)),
            ["dotnet"] = Environment.Version.ToString(),
            ["cores"] = Environment.ProcessorCount,
        };
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        try
        {
            if (definition is null || !definition.Tasks.Contains(task))
                throw new ArgumentException($"'{name}' is not a {task.ToName()} trainer; choose from {string.Join(", ", TrainerCatalog.NamesFor(task))}.");
            var candidate = definition.CreateDefault(task);
            record["family"] = definition.Family.ToName();
            record["hyperparameters"] = new JsonObject(candidate.Hyperparameters.Select(p =>
                KeyValuePair.Create(p.Key, (JsonNode?)p.Value?.ToString())));
            // As the AutoML final refit does: TorchSharp models stop early on a seeded tenth of the training rows;
            // ML.NET trainers fit on every training row and ignore the early-stopping rows.
            var fit = trainMatrix;
            var stop = trainMatrix;
            if (candidate.Family == ModelFamily.Torch)
            {
                var shuffled = trainRows.ToArray();
                new Random(seed).Shuffle(shuffled);
                var cut = Math.Max(1, shuffled.Length / 10);
                stop = featurizer.Transform(train, shuffled[..cut]);
                fit = featurizer.Transform(train, shuffled[cut..]);
            }
            using var model = await candidate.FitAsync(fit, stop, context, CancellationToken.None);
            record["trainSeconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3);
            var predicted = model.Predict(testMatrix);
            var metrics = TaskMetrics.Compute(task, testMatrix.Labels, predicted, classes);
            record["test"] = new JsonObject(metrics.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)(double.IsFinite(m.Value) ? m.Value : null))));
            record["primaryMetric"] = primary;
            record["primary"] = double.IsFinite(metrics[primary]) ? metrics[primary] : null;
            if (task.IsClassification())
                record["testErrors"] = testMatrix.Labels.Zip(predicted.Values).Count(z => z.First != z.Second);
            record["status"] = "succeeded";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            record["status"] = "failed";
            record["error"] = $"{e.GetType().Name}: {e.Message}";
        }
        record["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3);
        record["cpuSeconds"] = Math.Round((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, 3);
        record["loadEnd"] = BenchmarkHost.LoadAverage();
        record["testRows"] = testRows.Length;
        record["trainRows"] = trainRows.Length;
        // Written whole to a temporary name first: a killed run leaves no half file that would be skipped next time.
        var path = Path.Combine(outDir, name + ".json");
        File.WriteAllText(path + ".tmp", record.ToJsonString(json));
        File.Move(path + ".tmp", path, overwrite: true);
        Console.WriteLine($"  {name,-17} {primary} {record["primary"]?.ToString() ?? "-"}  {record["seconds"]} s  {record["status"]}{(record["error"] is { } err ? ": " + err : "")}");
    }
    return 0;
}

static string Version(Type type) =>
    type.Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
    ?? type.Assembly.GetName().Version?.ToString() ?? "?";

/// <summary>
/// Diagnostics: <c>--probe DATA_DIR DATASET TRAINER [name=value,...] [--folds 5] [--seed 42]</c> (DATA_DIR: where the
/// AutoML benchmark's prepare_splits.py wrote splits.json; the AutoML benchmark's <c>--probe</c> passes it) scores one configuration on the
/// same cross-validation folds as TabularObjective (per-fold featurizer) and prints every fold's metrics and its worst rows.
/// </summary>
static class Probe
{
    public static async Task<int> RunAsync(string dataDir, string[] args)
    {
        var name = args[0];
        var trainer = args[1];
        var values = new Dictionary<string, object>();
        if (args.Length > 2 && !args[2].StartsWith("--", StringComparison.Ordinal))
            foreach (var pair in args[2].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var (key, v) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
                values[key] = int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
                    : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : v;
            }
        int folds = 5, seed = 42;
        for (var i = 2; i < args.Length; i++)
            if (args[i] == "--folds") folds = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--seed") seed = int.Parse(args[++i], CultureInfo.InvariantCulture);
        var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(dataDir, "splits.json")))![name]!;
        var label = meta["label"]!.GetValue<string>();
        var task = TaskNames.Parse(meta["task"]!.GetValue<string>())!.Value;
        var data = TabularData.LoadCsv(Path.Combine(dataDir, name, "train.csv"));
        var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
        var whole = TabularFeaturizer.Fit(data, label, task, rows);
        var classes = whole.ClassNames?.Count ?? 0;
        Func<int, int>? classOf = whole.ClassNames is { } names ? r => names.ToList().IndexOf(data.Rows[r][data.ColumnIndex(label)]) : null;
        var context = new TrainContext(task, classes, seed, ComputeDevice.Auto);
        var definition = TrainerCatalog.Find(trainer) ?? throw new ArgumentException($"no trainer {trainer}");
        Console.WriteLine($"{name} {trainer} {string.Join(',', values.Select(p => $"{p.Key}={p.Value}"))}, {folds} folds, seed {seed}");
        var k = 0;
        foreach (var (trainRows, validationRows) in CrossValidationFolds.Create(rows, folds, seed, classOf))
        {
            var featurizer = TabularFeaturizer.Fit(data, label, task, trainRows);
            var train = featurizer.Transform(data, trainRows);
            var validation = featurizer.Transform(data, validationRows);
            var candidate = definition.Create(task, values);
            using var model = await candidate.FitAsync(train, validation, context, CancellationToken.None);
            var predicted = model.Predict(validation);
            var metrics = TaskMetrics.Compute(task, validation.Labels, predicted, classes);
            Console.WriteLine($"  fold {k++}: {string.Join(", ", metrics.Select(m => $"{m.Key} {m.Value:G6}"))}; predictions {predicted.Values.Min():G6}..{predicted.Values.Max():G6}, labels {validation.Labels.Min():G6}..{validation.Labels.Max():G6}");
            if (task == TaskKind.Regression)
                foreach (var i in Enumerable.Range(0, validation.Rows).OrderByDescending(i => Math.Abs(predicted.Values[i] - validation.Labels[i])).Take(2))
                {
                    var row = validationRows[i];
                    var extreme = Enumerable.Range(0, validation.Columns)
                        .Select(c => (Name: validation.FeatureNames[c], Value: validation.Values[i * validation.Columns + c],
                            TrainMax: Enumerable.Range(0, train.Rows).Max(r => train.Values[r * train.Columns + c])))
                        .Where(f => f.Value > f.TrainMax).Select(f => $"{f.Name}={f.Value:G6} (train max {f.TrainMax:G6})");
                    Console.WriteLine($"    worst: train.csv line {row + 2}, label {validation.Labels[i]:G6}, predicted {predicted.Values[i]:G6}; above the fold's training range: {string.Join("; ", extreme)}");
                }
        }
        return 0;
    }
}
