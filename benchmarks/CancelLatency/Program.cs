// Issue 15: time from a trial's timeout to the next trial having the core, trainer by trainer. Each ML.NET trainer
// is given a configuration far too large to finish (thousands of iterations or trees) on a synthetic table, its fit
// is started as a search trial starts it (ICandidate.FitAsync with the trial's token), the token is cancelled after
// --after seconds, and the time until the fit's task ends is measured (the fit cancels through its own MLContext).
// A fit that has not ended --give-up seconds after the cancellation is reported as not listening.
//
//   MLWorkbench.Probes.CancelLatency [--rows 43000] [--columns 20] [--after 2] [--give-up 120] [--trainers a,b]
//
// Prints one Markdown row per trainer: trainer, seconds to cancellation, stop latency, how the fit ended, load average.
// A probe (MLWorkbench.Probes.CancelLatency, sees internals): it times one trainer's fit, not a search a user runs.

using System.Diagnostics;
using System.Globalization;
using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var options = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["--rows"] = "43000", ["--columns"] = "20", ["--after"] = "2", ["--give-up"] = "120",
    ["--trainers"] = "sdca,lbfgs,ogd,fasttree,fasttree-tweedie,fastforest,gam,lightgbm",
};
for (var i = 0; i < args.Length; i += 2)
{
    if (!options.ContainsKey(args[i]) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"Unknown or incomplete argument '{args[i]}'; see the comment at the top of benchmarks/CancelLatency/Program.cs.");
        return 2;
    }
    options[args[i]] = args[i + 1];
}
var rows = int.Parse(options["--rows"], CultureInfo.InvariantCulture);
var columns = int.Parse(options["--columns"], CultureInfo.InvariantCulture);
var after = double.Parse(options["--after"], CultureInfo.InvariantCulture);
var giveUp = double.Parse(options["--give-up"], CultureInfo.InvariantCulture);

// y = 1 + x0 + 2·x1 − x2·x3 + noise over uniform features: enough structure that trees keep splitting.
var random = new Random(1);
var values = new float[rows * columns];
var labels = new float[rows];
for (var r = 0; r < rows; r++)
{
    for (var c = 0; c < columns; c++) values[r * columns + c] = (float)random.NextDouble();
    // Positive, so that Poisson regression (lbfgs) accepts it.
    labels[r] = 1 + values[r * columns] + 2 * values[r * columns + 1] - values[r * columns + 2] * values[r * columns + 3] + 0.1f * (float)random.NextDouble();
}
var train = new FeatureMatrix(values, labels, Enumerable.Range(0, columns).Select(c => $"x{c}").ToArray());
var context = new TrainContext(TaskKind.Regression, 0, 1, ComputeDevice.Cpu);

// Configurations that cannot finish within seconds on this table.
var heavy = new Dictionary<string, Dictionary<string, object>>(StringComparer.Ordinal)
{
    ["sdca"] = new() { ["maximumNumberOfIterations"] = 500, ["l2Regularization"] = 1e-6, ["l1Regularization"] = 1e-6 },
    ["lbfgs"] = new() { ["l2Regularization"] = 1e-4, ["l1Regularization"] = 1e-4 },
    ["ogd"] = new() { ["numberOfIterations"] = 100, ["learningRate"] = 0.01, ["l2Regularization"] = 1e-8 },
    ["fasttree"] = new() { ["numberOfLeaves"] = 128, ["numberOfTrees"] = 1000, ["minimumExampleCountPerLeaf"] = 2, ["learningRate"] = 0.05 },
    ["fasttree-tweedie"] = new() { ["numberOfLeaves"] = 128, ["numberOfTrees"] = 1000, ["minimumExampleCountPerLeaf"] = 2, ["learningRate"] = 0.05 },
    ["fastforest"] = new() { ["numberOfLeaves"] = 128, ["numberOfTrees"] = 1000, ["minimumExampleCountPerLeaf"] = 2, ["featureFraction"] = 1.0 },
    ["gam"] = new() { ["numberOfIterations"] = 10000, ["learningRate"] = 0.002, ["maximumBinCountPerFeature"] = 255 },
    ["lightgbm"] = new()
    {
        ["numberOfLeaves"] = 256, ["numberOfIterations"] = 1000, ["learningRate"] = 0.05, ["minimumExampleCountPerLeaf"] = 2,
        ["featureFraction"] = 1.0, ["l2Regularization"] = 1e-6,
    },
};

Console.WriteLine($"{rows:N0} rows x {columns} columns, cancelled after {after} s; load average {Load()}");
Console.WriteLine("| Trainer | Cancelled at (s) | Stop latency (s) | Fit ended | Load 1-min |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var name in options["--trainers"].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
{
    var definition = TrainerCatalog.Find(name);
    if (definition is null || !heavy.TryGetValue(name, out var parameters))
    {
        Console.Error.WriteLine($"Trainer '{name}' is not one of: {string.Join(", ", heavy.Keys)}.");
        return 2;
    }
    var candidate = definition.Create(TaskKind.Regression, parameters);
    using var cancel = new CancellationTokenSource();
    var clock = Stopwatch.StartNew();
    double cancelledAt = 0;
    cancel.Token.Register(() => cancelledAt = clock.Elapsed.TotalSeconds);
    cancel.CancelAfter(TimeSpan.FromSeconds(after));
    var fit = candidate.FitAsync(train, train, context, cancel.Token);
    // Observe the fit's task directly (not through WaitAsync): the question is when the fit itself lets go of the core.
    var finished = await Task.WhenAny(fit, Task.Delay(TimeSpan.FromSeconds(after + giveUp))) == fit;
    var ended = !finished ? $"still running {giveUp:0} s after the cancellation (does not listen)"
        : fit.IsCanceled ? "cancelled" : fit.IsFaulted ? "threw " + fit.Exception!.InnerException!.GetType().Name : "finished anyway";
    if (fit.IsCompletedSuccessfully) fit.Result.Dispose();
    var latency = finished && cancelledAt > 0 ? clock.Elapsed.TotalSeconds - cancelledAt : double.NaN;
    Console.WriteLine($"| {name} | {cancelledAt:0.00} | {(double.IsNaN(latency) ? "—" : latency.ToString("0.00", CultureInfo.InvariantCulture))} | {ended} | {Load()} |");
    if (!finished) break; // a fit that does not stop keeps the core: later measurements would be disturbed
}
return 0;

static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
