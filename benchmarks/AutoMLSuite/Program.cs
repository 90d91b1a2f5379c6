// Issue 15 benchmark, arm "ML.NET (and TorchSharp) trainers at their defaults": on one fixed split written by
// suite.py, the featurizer is fit on the training rows, every named trainer is fit at its defaults through the
// library's public catalog (TrainerCatalog, TabularFeaturizer, TaskMetrics) and scored once on the test rows. One
// JSON file per trainer, written when that trainer ends; a trainer whose file exists is skipped (resumable).
//
//   automl-suite-defaults --task regression --label log_wage --train T.csv --test S.csv --seed 1
//       --trainers fasttree,lightgbm --out DIR
//
// suite.py runs it and adds what it alone knows (split hash, data set name, git commit) to each file it reads back.

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
