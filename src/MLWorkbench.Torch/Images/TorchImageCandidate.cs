using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using TorchSharp;
using MLWorkbench.Tasks;
using static TorchSharp.torch;

namespace MLWorkbench.Images;

/// <summary>The TorchSharp image networks.</summary>
internal enum ImageNetwork
{
    /// <summary><see cref="SmallCnn"/>: conv/batch-norm/ReLU/max-pool blocks.</summary>
    Cnn,
    /// <summary><see cref="VisionTransformer"/>: patch embedding, class token, encoder layers.</summary>
    Vit,
    /// <summary><see cref="ResNet18Network"/>: the pretrained ResNet18 of Microsoft.ML.DnnImageFeaturizer.ResNet18, fine-tuned end to end with a new head.</summary>
    ResNet18,
}

/// <summary>Settings of a TorchSharp image candidate; every default is what <c>cnn</c> and <c>vit</c> use.</summary>
internal sealed record TorchImageOptions
{
    /// <summary>Side of the square the images are resampled to; null picks the data set's typical size, clamped to 16..32.</summary>
    public int? ImageSize { get; init; }
    /// <summary>CNN: channels of the first block (doubling per block). ViT: width of the token embeddings.</summary>
    public int Width { get; init; } = 32;
    /// <summary>CNN: number of conv blocks. ViT: number of encoder layers.</summary>
    public int Depth { get; init; } = 3;
    /// <summary>ViT only: attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>ViT only: side of a patch in pixels.</summary>
    public int PatchSize { get; init; } = 4;
    /// <summary>Dropout before the head (CNN) or inside the encoder (ViT).</summary>
    public double Dropout { get; init; } = 0.2;
    /// <summary>AdamW's peak learning rate (linear warm-up for 2 epochs, then cosine decay).</summary>
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 1e-4;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>CNN only: global pooling of the last feature map, <see cref="CnnPooling.Average"/> or <see cref="CnnPooling.AverageMax"/>.</summary>
    public string Pooling { get; init; } = CnnPooling.Average;
    /// <summary>Most epochs to train.</summary>
    public int MaxEpochs { get; init; } = 40;
    /// <summary>Stop when validation accuracy has not improved for this many epochs.</summary>
    public int Patience { get; init; } = 10;
    /// <summary>Random shifts (up to 1/8 of the side), rotations (up to <see cref="RotationDegrees"/>) and zoom (±10%) of training images.</summary>
    public bool Augment { get; init; } = true;
    /// <summary>The largest random rotation of augmented images, in degrees either way (default 10: safe for digits and text).</summary>
    public int RotationDegrees { get; init; } = 10;
    /// <summary>Label smoothing of the training cross-entropy (default 0.1): the targets give each other class a share, which keeps noisy images from making the network over-confident.</summary>
    public double LabelSmoothing { get; init; } = 0.1;
    /// <summary>Also random horizontal flips (off by default: wrong for digits and text).</summary>
    public bool Flip { get; init; }
    /// <summary>
    /// Networks to train, with seeds seed, seed + 1, …; the model averages their class probabilities (a seed ensemble:
    /// members differ in initial weights, batch order and augmentation, so their mistakes differ too). Default 1.
    /// </summary>
    public int Members { get; init; } = 1;
    /// <summary>
    /// Train this many epochs instead of <see cref="MaxEpochs"/>, a fraction allowed (the schedule runs over them), null
    /// for <see cref="MaxEpochs"/>: how a search's refit trains as long as the time-planned trial it repeats did.
    /// </summary>
    public double? TrainEpochs { get; init; }
}

/// <summary>
/// Trains a TorchSharp image network with AdamW on mini-batches (cross-entropy), optional augmentation, early
/// stopping on validation accuracy; the best epoch's weights are kept. Curves per epoch: train and validation
/// cross-entropy and validation accuracy.
/// </summary>
internal sealed class TorchImageCandidate(ImageNetwork network, TorchImageOptions options, string? name = null) : ICandidate<ImageExamples>
{
    public string Name => name ?? network switch { ImageNetwork.Cnn => "cnn", ImageNetwork.Vit => "vit", _ => "resnet18-finetune" };
    public ModelFamily Family => ModelFamily.Torch;
    public string? SkipReason => network == ImageNetwork.ResNet18 && !File.Exists(ResNetFile("ResNet18Onnx", "ResNet18.onnx"))
        ? $"the ResNet18 ONNX file of Microsoft.ML.DnnImageFeaturizer.ResNet18 is not in {MlNetImageCandidate.ResNetFolder}"
        : null;

    private static string ResNetFile(string folder, string file) => Path.Combine(MlNetImageCandidate.ResNetFolder, folder, file);

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["network"] = network switch { ImageNetwork.Cnn => "cnn", ImageNetwork.Vit => "vit", _ => "resnet18" }, ["imageSize"] = options.ImageSize, ["width"] = options.Width,
        ["depth"] = options.Depth, ["heads"] = network == ImageNetwork.Vit ? options.Heads : null,
        ["patchSize"] = network == ImageNetwork.Vit ? options.PatchSize : null, ["dropout"] = options.Dropout,
        ["learningRate"] = options.LearningRate, ["weightDecay"] = options.WeightDecay, ["batchSize"] = options.BatchSize,
        ["maxEpochs"] = options.MaxEpochs, ["patience"] = options.Patience, ["augment"] = options.Augment, ["flip"] = options.Flip,
        ["members"] = options.Members, ["optimizer"] = "adamw", ["rotation"] = options.Augment ? options.RotationDegrees : null,
        ["labelSmoothing"] = options.LabelSmoothing, ["pooling"] = network == ImageNetwork.Cnn ? options.Pooling : null,
        ["trainEpochs"] = options.TrainEpochs,
    };

    /// <summary>
    /// The image side used for <paramref name="examples"/>: the option, or the typical size clamped to 16..32 (a multiple of
    /// the patch); 64 for ResNet18, whose five halvings need room and whose cost grows with the area.
    /// </summary>
    internal int SizeFor(ImageExamples examples)
    {
        var size = options.ImageSize ?? (network == ImageNetwork.ResNet18 ? 64 : Math.Clamp(examples.TypicalSize, 16, 32));
        return network == ImageNetwork.Vit ? Math.Max(options.PatchSize, size / options.PatchSize * options.PatchSize) : size;
    }

    public Task<ITrainedModel<ImageExamples>> FitAsync(ImageExamples train, ImageExamples validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<ImageExamples>>(() => Fit(train, validation, context, cancellationToken), cancellationToken);

    private TorchImageModel Fit(ImageExamples train, ImageExamples validation, TrainContext context, CancellationToken cancellationToken)
    {
        if (options.Members < 1) throw new WorkbenchInputException($"Candidate '{Name}': members must be at least 1, not {options.Members}.");
        var (device, _, _) = TorchDevices.Resolve(context.Device);
        var size = SizeFor(train);
        var (mean, std) = Statistics(train.Pixels(size), train.Channels);
        var members = new List<nn.Module<Tensor, Tensor>>();
        var curves = new List<Curve>();
        var plans = new List<StepPlan>();
        try
        {
            for (var m = 0; m < options.Members; m++)
            {
                // Under a search's time limit every member plans its steps against an equal part of what is left, and the
                // model trained so far is kept when the limit comes (the last member scores the validation examples too).
                var limit = context.TimeLimit is { } whole
                    ? whole with { Start = whole.Clock.GetTimestamp(), Seconds = whole.Remaining / (options.Members - m) }
                    : null;
                var plan = new StepPlan(limit, options.MaxEpochs, options.TrainEpochs, validation.Rows);
                plans.Add(plan);
                var (member, memberCurves) = FitNetwork(train, validation, context.Seed + m, context.Precision, device, size, mean, std, plan, cancellationToken);
                members.Add(member);
                // The first member's curves keep the plain names the report and tests know; the others say whose they are.
                if (m > 0) foreach (var curve in memberCurves) curve.Name += $" (member {m + 1})";
                curves.AddRange(memberCurves);
            }
        }
        catch
        {
            foreach (var member in members) member.Dispose();
            throw;
        }
        var filters = members[0] switch { SmallCnn cnn => TorchFilters.From(cnn.FirstFilters), ResNet18Network resnet => TorchFilters.From(resnet.FirstFilters), _ => null };
        return new TorchImageModel(members, size, train.Channels, train.ClassNames.Count, mean, std, device, curves, filters) { Plan = plans[0].Report() };
    }

    /// <summary>Trains one network with <paramref name="seed"/>; returns it (fp32, eval mode, best epoch's weights) and its curves.</summary>
    private (nn.Module<Tensor, Tensor> Network, List<Curve> Curves) FitNetwork(ImageExamples train, ImageExamples validation, int seed, TrainingPrecision requested,
        Device device, int size, float[] mean, float[] std, StepPlan plan, CancellationToken cancellationToken)
    {
        random.manual_seed(seed);
        var shuffle = new Random(seed);
        var channels = train.Channels;
        var classes = train.ClassNames.Count;
        nn.Module<Tensor, Tensor> model = network switch
        {
            ImageNetwork.Cnn => new SmallCnn(channels, classes, options.Width, options.Depth, options.Dropout, options.Pooling),
            ImageNetwork.Vit => new VisionTransformer(channels, classes, size, options.PatchSize, options.Width, options.Depth, options.Heads, options.Width * 2, options.Dropout),
            _ => PretrainedResNet(classes, channels, mean, std),
        };
        model.to(device);
        using var trainX = Stack(train.Pixels(size), channels, size, device);
        using var trainY = tensor(train.Labels.Select(l => (long)l).ToArray(), device: device);
        using var validationX = Stack(validation.Pixels(size), channels, size, device);
        using var validationY = tensor(validation.Labels.Select(l => (long)l).ToArray(), device: device);
        using var meanT = tensor(mean, device: device).view(1, channels, 1, 1);
        using var stdT = tensor(std, device: device).view(1, channels, 1, 1);
        using var precision = MixedPrecision.Create(model, requested, device, p => optim.AdamW(p, options.LearningRate, weight_decay: options.WeightDecay));
        var order = Enumerable.Range(0, train.Rows).ToArray();
        try
        {
            var curves = ClassifierTraining.Fit(model, precision, (options.LearningRate, options.MaxEpochs, options.Patience, steps => Math.Min(2 * steps, steps * options.MaxEpochs / 5)),
                () =>
                {
                    shuffle.Shuffle(order);
                    return order.Chunk(options.BatchSize).ToArray();
                },
                rows =>
                {
                    var index = tensor(rows.Select(i => (long)i).ToArray(), device: device);
                    var x = trainX.index_select(0, index);
                    if (options.Augment) x = Augment(x, shuffle, options, device);
                    return nn.functional.cross_entropy(MixedPrecision.Float(model.call(precision.Input((x - meanT) / stdT))), trainY.index_select(0, index),
                        label_smoothing: options.LabelSmoothing);
                },
                () => Evaluate(model, precision, validationX, validationY, meanT, stdT), clipGradientNorm: null, cancellationToken, plan);
            return (model, curves);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>ResNet18 with the shipped ONNX file's weights and a new head for <paramref name="classes"/> classes.</summary>
    private ResNet18Network PretrainedResNet(int classes, int channels, float[] mean, float[] std)
    {
        var resnet = new ResNet18Network(classes, options.Dropout, channels, mean, std);
        resnet.LoadFromOnnx(File.ReadAllBytes(ResNetFile("ResNet18Onnx", "ResNet18.onnx")), File.ReadAllBytes(ResNetFile("ResNetPrepOnnx", "ResNetPreprocess.onnx")));
        return resnet;
    }

    private static (double Accuracy, double Loss) Evaluate(nn.Module<Tensor, Tensor> model, MixedPrecision precision, Tensor x, Tensor y, Tensor mean, Tensor std)
    {
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double loss = 0, correct = 0;
        for (long start = 0; start < x.shape[0]; start += 256)
        {
            var length = Math.Min(256, x.shape[0] - start);
            var logits = MixedPrecision.Float(model.call(precision.Input((x.narrow(0, start, length) - mean) / std)));
            var target = y.narrow(0, start, length);
            loss += nn.functional.cross_entropy(logits, target).item<float>() * length;
            correct += logits.argmax(1).eq(target).sum().item<long>();
        }
        return (correct / x.shape[0], loss / x.shape[0]);
    }

    /// <summary>
    /// One random affine warp per image (shift, rotation, zoom, optional horizontal flip), edges repeated. Every draw comes
    /// from <paramref name="random"/>, the trial's seeded source, so the same seed gives the same batches.
    /// </summary>
    internal static Tensor Augment(Tensor x, Random random, TorchImageOptions options, Device device)
    {
        var n = (int)x.shape[0];
        var theta = new float[n * 6];
        for (var i = 0; i < n; i++)
        {
            var angle = (random.NextDouble() * 2 - 1) * Math.PI * options.RotationDegrees / 180;
            var scale = 1 + (random.NextDouble() * 2 - 1) * 0.1;
            var flip = options.Flip && random.Next(2) == 0 ? -1 : 1;
            theta[6 * i] = (float)(flip * scale * Math.Cos(angle));
            theta[6 * i + 1] = (float)(-scale * Math.Sin(angle));
            theta[6 * i + 2] = (float)((random.NextDouble() * 2 - 1) * 0.25);
            theta[6 * i + 3] = (float)(flip * scale * Math.Sin(angle));
            theta[6 * i + 4] = (float)(scale * Math.Cos(angle));
            theta[6 * i + 5] = (float)((random.NextDouble() * 2 - 1) * 0.25);
        }
        var grid = nn.functional.affine_grid(tensor(theta, device: device).view(n, 2, 3), x.shape, align_corners: false);
        return nn.functional.grid_sample(x, grid, padding_mode: GridSamplePaddingMode.Border, align_corners: false);
    }

    internal static Tensor Stack(float[][] pixels, int channels, int size, Device device)
    {
        var flat = new float[pixels.Length * channels * size * size];
        for (var i = 0; i < pixels.Length; i++) pixels[i].CopyTo(flat, i * pixels[i].Length);
        return tensor(flat, device: device).view(pixels.Length, channels, size, size);
    }

    private static (float[] Mean, float[] Std) Statistics(float[][] pixels, int channels)
    {
        var mean = new float[channels];
        var std = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            double s = 0, s2 = 0;
            long count = 0;
            foreach (var image in pixels)
            {
                var plane = image.Length / channels;
                for (var p = c * plane; p < (c + 1) * plane; p++) { s += image[p]; s2 += image[p] * image[p]; }
                count += plane;
            }
            var m = s / Math.Max(1, count);
            mean[c] = (float)m;
            std[c] = (float)Math.Max(1e-3, Math.Sqrt(Math.Max(0, s2 / Math.Max(1, count) - m * m)));
        }
        return (mean, std);
    }
}

/// <summary>A convolution's learned weights as <see cref="ConvFilters"/>.</summary>
internal static class TorchFilters
{
    internal static ConvFilters From(Tensor weight)
    {
        using var cpu = weight.detach().cpu().contiguous();
        var shape = cpu.shape;
        var values = cpu.data<float>().ToArray();
        var per = (int)(shape[1] * shape[2] * shape[3]);
        return new ConvFilters((int)shape[1], (int)shape[2], (int)shape[3],
            Enumerable.Range(0, (int)shape[0]).Select(o => values[(o * per)..((o + 1) * per)]).ToArray());
    }
}

/// <summary>
/// A trained TorchSharp image network (or several, whose class probabilities are averaged) with the input normalisation
/// it was trained with.
/// </summary>
internal sealed partial class TorchImageModel : ITrainedModel<ImageExamples>, IFirstLayerFilters, ITrainingPlanReport
{
    private readonly IReadOnlyList<nn.Module<Tensor, Tensor>> _networks;
    private readonly int _size;
    private readonly int _channels;
    private readonly int _classes;
    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly Device _device;

    internal TorchImageModel(IReadOnlyList<nn.Module<Tensor, Tensor>> networks, int size, int channels, int classes, float[] mean, float[] std, Device device,
        IReadOnlyList<Curve> curves, ConvFilters? filters)
    {
        (_networks, _size, _channels, _classes, _mean, _std, _device) = (networks, size, channels, classes, mean, std, device);
        Curves = curves;
        FirstLayerFilters = filters;
    }

    /// <inheritdoc />
    public IReadOnlyList<Curve> Curves { get; }

    /// <summary>The first network's plan against the search trial's seconds and what it trained; null without a limit.</summary>
    public TrainingPlan? Plan { get; init; }

    /// <summary>The first convolution's learned filters (of the first network; null for the Vision Transformer).</summary>
    public ConvFilters? FirstLayerFilters { get; }

    /// <inheritdoc />
    public Predictions Predict(ImageExamples data)
    {
        var probabilities = new float[data.Rows][];
        var pixels = data.Pixels(_size);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var mean = tensor(_mean, device: _device).view(1, _channels, 1, 1);
        using var std = tensor(_std, device: _device).view(1, _channels, 1, 1);
        for (var start = 0; start < data.Rows; start += 256)
        {
            var batch = pixels[start..Math.Min(start + 256, data.Rows)];
            using var x = TorchImageCandidate.Stack(batch, _channels, _size, _device);
            using var input = (x - mean) / std;
            using var sum = _networks.Select(n => nn.functional.softmax(n.call(input), 1)).Aggregate((a, b) => a + b);
            using var p = (sum / _networks.Count).cpu();
            var values = p.data<float>().ToArray();
            for (var i = 0; i < batch.Length; i++) probabilities[start + i] = values[(i * _classes)..((i + 1) * _classes)];
        }
        return Predictions.FromProbabilities(probabilities);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var network in _networks) network.Dispose();
    }
}
