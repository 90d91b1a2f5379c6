// Mixed-precision benchmark: the same network, data and seed trained in fp32 and in 16 bits (fp32 master weights),
// one after the other, on the device TorchSharp finds (the CPU here; a CUDA build of libtorch and a GPU elsewhere).
// Usage: dotnet run -c Release --project benchmarks/Precision -- [--device cpu|cuda|auto] [--formats fp32,bf16] [cnn] [resnet18] [minilm]
// Prints one Markdown row per (workload, format): training seconds, validation and test accuracy.
// A probe (MLWorkbench.Probes.Precision, sees internals): it fits one network directly on fixed rows, fewer than a
// comparison would use (600 digits for ResNet18, 800 reviews for MiniLM), so that only the number format differs.
using System.Diagnostics;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using MLWorkbench.Experiments;

var repo = BenchmarkHost.Repository();
var arguments = args.ToList();
string? Flag(string name) => BenchmarkHost.TakeOption(arguments, name);
var device = TaskNames.ParseDevice(Flag("--device") ?? "auto") ?? throw new ArgumentException("--device: auto, cpu or cuda");
var formats = (Flag("--formats") ?? "fp32,bf16").Split(',').Select(f => TaskNames.ParsePrecision(f) ?? throw new ArgumentException($"unknown format {f}")).ToArray();
var workloads = arguments.Count > 0 ? arguments : ["cnn", "resnet18", "minilm"];
Console.WriteLine($"device {MLWorkbench.Workbench.DescribeDevice(device, TrainingPrecision.Auto)}; load average {BenchmarkHost.LoadAverage()}");
Console.WriteLine("| Workload | Format | Train s | Validation accuracy | Test accuracy | Load at end |");
Console.WriteLine("|---|---|---|---|---|---|");

foreach (var workload in workloads)
{
    foreach (var format in formats)
    {
        var (seconds, validation, test) = workload switch
        {
            // The bundled digits at the image benchmark's split: the small CNN (16x16, 40 epochs, patience 10).
            "cnn" => await Images(TorchImageCandidates.Cnn(new TorchImageOptions()), null, format),
            // ResNet18 fine-tuned from the shipped weights at 64x64: three epochs over 600 training digits.
            "resnet18" => await Images(TorchImageCandidates.ResNet18FineTune(TorchImageCandidates.ResNet18Defaults with { MaxEpochs = 3, Patience = 3 }), 600, format),
            // MiniLM fine-tuned on 800 fine-foods reviews, one epoch, 128 tokens.
            "minilm" => await Texts(format),
            _ => throw new ArgumentException($"unknown workload {workload}: cnn, resnet18 or minilm"),
        };
        Console.WriteLine($"| {workload} | {format.ToName()} | {seconds:0.0} | {validation:0.0000} | {test:0.0000} | {BenchmarkHost.LoadAverage()} |");
    }
}

async Task<(double Seconds, double Validation, double Test)> Images(ICandidate<ImageExamples> candidate, int? trainImages, TrainingPrecision format)
{
    var prepared = ImageExperiment.Prepare("digits", Path.Combine(repo, "datasets", "digits"), null, 0.1, 0.2, 42, device, ["pixels-lbfgs"]);
    var train = trainImages is { } n ? prepared.Train.Subset(Enumerable.Range(0, n).ToArray()) : prepared.Train;
    return await Measure(candidate, train, prepared.Validation, prepared.Test, TaskKind.ImageClassification, train.ClassNames.Count, format);
}

async Task<(double Seconds, double Validation, double Test)> Texts(TrainingPrecision format)
{
    var prepared = TextExperiment.Prepare("fine-foods", Path.Combine(repo, "datasets", "fine-foods", "train.csv"), Path.Combine(repo, "datasets", "fine-foods", "test.csv"),
        "review", "score", 0.15, 0, 42, device, ["ngram-sdca"]);
    var candidate = TorchTextCandidates.Torch(TextNetwork.MiniLmFinetune, TorchTextCandidates.FinetuneDefaults with { MaxEpochs = 1, MaxTrainExamples = 800 });
    var test = prepared.Test.Subset(Enumerable.Range(0, Math.Min(500, prepared.Test.Rows)).ToArray());
    return await Measure(candidate, prepared.Train, prepared.Validation, test, TaskKind.TextClassification, prepared.Train.ClassNames.Count, format);
}

async Task<(double, double, double)> Measure<T>(ICandidate<T> candidate, T train, T validation, T test, TaskKind task, int classes, TrainingPrecision format)
    where T : ILabelledData
{
    var clock = Stopwatch.StartNew();
    using var model = await candidate.FitAsync(train, validation, new TrainContext(task, classes, 42, device, format), CancellationToken.None);
    var seconds = clock.Elapsed.TotalSeconds;
    double Accuracy(T data) => ClassificationMetrics.Compute(data.Labels, model.Predict(data), classes)[ClassificationMetrics.Accuracy];
    return (seconds, Accuracy(validation), Accuracy(test));
}
