// Issue 15 (images): validation accuracy against wall seconds for a few CNN recipes on one image set.
// Usage: dotnet run -c Release --project benchmarks/Images -- recipes --train LIST.csv [--seed 1] RECIPE ...
// A recipe is "key=value,..." over TorchImageOptions (size, width, depth, lr, wd, batch, epochs, rotation, smoothing,
// dropout, augment, flip, pooling); "default" is the cnn's defaults. Every recipe trains on the same seeded 80/20
// split of LIST (stratified), one after another in this process; each prints its curve and seconds.
using System.Diagnostics;
using System.Globalization;
using MLWorkbench.Experiments;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

internal static class RecipeProbe
{
    public static async Task RunAsync(List<string> arguments)
    {
        var train = BenchmarkHost.TakeOption(arguments, "--train") ?? throw new ArgumentException("--train LIST.csv");
        var seed = int.Parse(BenchmarkHost.TakeOption(arguments, "--seed") ?? "1", CultureInfo.InvariantCulture);
        var prepared = ImageExperiment.Prepare("probe", train, null, 0.2, 0, seed, ComputeDevice.Cpu, Array.Empty<ICandidate<ImageExamples>>());
        Console.WriteLine($"{train}: train {prepared.Train.Rows}, validation {prepared.Validation.Rows}; load {BenchmarkHost.LoadAverage()}");
        foreach (var recipe in arguments)
        {
            var options = Parse(recipe);
            var candidate = TorchImageCandidates.Cnn(options);
            var load = BenchmarkHost.LoadAverage();
            var watch = Stopwatch.StartNew();
            using var model = await candidate.FitAsync(prepared.Train, prepared.Validation,
                new TrainContext(TaskKind.ImageClassification, prepared.Train.ClassNames.Count, seed, ComputeDevice.Cpu, TrainingPrecision.Auto), CancellationToken.None);
            var seconds = watch.Elapsed.TotalSeconds;
            var accuracy = model.Curves.First(c => c.Name == "validation accuracy").Values;
            var perEpoch = seconds / accuracy.Count;
            Console.WriteLine($"| {recipe} | {accuracy.Max():0.0000} | {accuracy.Count} | {seconds:0} | {perEpoch:0.0} | {load}→{BenchmarkHost.LoadAverage()} | "
                + string.Join(" ", accuracy.Select((a, i) => $"{(i + 1) * perEpoch:0}s:{a:0.000}")) + " | train CE "
                + string.Join(" ", model.Curves.First(c => c.Name == "train cross-entropy").Values.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture))) + " |");
        }
    }

    private static TorchImageOptions Parse(string recipe)
    {
        var o = new TorchImageOptions();
        if (recipe == "default") return o;
        foreach (var pair in recipe.Split(','))
        {
            var (key, value) = (pair.Split('=')[0], pair.Split('=')[1]);
            double D() => double.Parse(value, CultureInfo.InvariantCulture);
            int I() => int.Parse(value, CultureInfo.InvariantCulture);
            o = key switch
            {
                "size" => o with { ImageSize = I() },
                "width" => o with { Width = I() },
                "depth" => o with { Depth = I() },
                "lr" => o with { LearningRate = D() },
                "wd" => o with { WeightDecay = D() },
                "batch" => o with { BatchSize = I() },
                "epochs" => o with { MaxEpochs = I(), Patience = I() },
                "rotation" => o with { RotationDegrees = I() },
                "smoothing" => o with { LabelSmoothing = D() },
                "dropout" => o with { Dropout = D() },
                "pooling" => o with { Pooling = value },
                "flip" => o with { Flip = value == "true" },
                "augment" => o with { Augment = value == "true" },
                _ => throw new ArgumentException($"unknown recipe key '{key}'"),
            };
        }
        return o;
    }
}
