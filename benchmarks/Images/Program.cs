// Image classification benchmark: every image candidate on one fixed stratified split of the bundled digits.
// Usage: dotnet run -c Release --project benchmarks/Images -- [--split-seed N] [--precision fp32|bf16|fp16] [candidate ...]
// Writes benchmarks/out/images/split.csv (for svc_anchor.py), rows.md (one table row per candidate as it finishes)
// and results.json (the trials so far); with --split-seed N (default 42) under benchmarks/out/images-seedN instead.
// "-- recipes --train LIST.csv RECIPE ..." compares CNN recipes on any image list instead (RecipeProbe.cs).
using System.Text.Json;
using MLWorkbench.Experiments;
using MLWorkbench.Images;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

if (args.FirstOrDefault() == "recipes")
{
    await RecipeProbe.RunAsync(args.Skip(1).ToList());
    return;
}
var repo = BenchmarkHost.Repository();
var digits = Path.Combine(repo, "datasets", "digits");
var arguments = args.ToList();
string? Flag(string name) => BenchmarkHost.TakeOption(arguments, name);
var splitSeed = int.Parse(Flag("--split-seed") ?? "42");
var precision = TaskNames.ParsePrecision(Flag("--precision") ?? "auto") ?? throw new ArgumentException("--precision: auto, fp32, bf16 or fp16");
var output = Path.Combine(repo, "benchmarks", "out", splitSeed == 42 ? "images" : $"images-seed{splitSeed}");
Directory.CreateDirectory(output);
var names = arguments.Count > 0 ? arguments.ToArray() : ImageCandidates.Names.ToArray();
var prepared = ImageExperiment.Prepare("digits", digits, null, validationFraction: 0.1, testFraction: 0.2, seed: splitSeed, ComputeDevice.Cpu, names);

var split = new List<string> { "index,part" };
void Part(ImageExamples part, string name) => split.AddRange(part.Paths.Select(p => $"{int.Parse(Path.GetFileNameWithoutExtension(p))},{name}"));
Part(prepared.Train, "train");
Part(prepared.Validation, "validation");
Part(prepared.Test, "test");
File.WriteAllLines(Path.Combine(output, "split.csv"), split);
Console.WriteLine($"digits (split seed {splitSeed}, precision {precision.ToName()}): train {prepared.Train.Rows}, validation {prepared.Validation.Rows}, test {prepared.Test.Rows}; load average {BenchmarkHost.LoadAverage()}");

// One candidate at a time, each row written as soon as it is known, so a long run leaves partial results.
var rowsPath = Path.Combine(output, "rows.md");
var header = "| Candidate | Validation accuracy | Test accuracy | Train s | µs / prediction | Status |\n|---|---|---|---|---|---|\n";
File.WriteAllText(rowsPath, header);
Console.Write(header);
var trials = new List<MLWorkbench.Results.TrialResult>();
foreach (var name in names)
{
    var one = ImageExperiment.Prepare("digits", digits, null, 0.1, 0.2, splitSeed, ComputeDevice.Cpu, [name], null, precision);
    var result = await one.RunAsync();
    var t = result.Trials[0];
    trials.Add(t);
    string Metric(Dictionary<string, double> m) => m.TryGetValue("accuracy", out var v) ? v.ToString("0.0000") : "—";
    var row = $"| {t.Candidate} | {Metric(t.Metrics.Validation)} | {Metric(t.Metrics.Test)} | {t.TrainSeconds:0.0} | {t.PredictMicrosecondsPerRow:0} | {t.Status}{(t.Reason is null ? "" : ": " + t.Reason)} (load {BenchmarkHost.LoadAverage()}) |";
    File.AppendAllText(rowsPath, row + "\n");
    Console.WriteLine(row);
    File.WriteAllText(Path.Combine(output, "results.json"), JsonSerializer.Serialize(trials, new JsonSerializerOptions { WriteIndented = true }));
}
