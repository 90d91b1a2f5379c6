using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms.Image;

namespace MLWorkbench.Images;

/// <summary>What an ML.NET image candidate feeds its trainer.</summary>
internal enum ImageFeatures
{
    /// <summary>Raw pixels: <c>LoadImages → ResizeImages → ExtractPixels</c>, scaled to [0, 1].</summary>
    Pixels,
    /// <summary>ImageNet ResNet18 features: <c>LoadImages → ResizeImages(224) → ExtractPixels → DnnFeaturizeImage(ResNet18)</c>, 512 values.</summary>
    ResNet18,
}

/// <summary>Which ML.NET multiclass trainer an image candidate uses.</summary>
internal enum ImageTrainer
{
    /// <summary>L-BFGS maximum entropy (multinomial logistic regression).</summary>
    Lbfgs,
    /// <summary>SDCA maximum entropy.</summary>
    Sdca,
    /// <summary>LightGBM, multiclass.</summary>
    LightGbm,
}

/// <summary>
/// An ML.NET image classifier: image loading and pixel extraction (optionally through the pretrained ResNet18 that
/// ships in Microsoft.ML.DnnImageFeaturizer.ResNet18) followed by a multiclass trainer.
/// </summary>
internal sealed class MlNetImageCandidate : ICandidate<ImageExamples>
{
    private const int ResNetSize = 224;
    private readonly ImageFeatures _features;
    private readonly ImageTrainer _trainer;
    private readonly int? _size;
    private readonly int _lightGbmIterations;

    public MlNetImageCandidate(ImageFeatures features, ImageTrainer trainer, int? imageSize = null, int lightGbmIterations = 300)
    {
        _features = features;
        _trainer = trainer;
        _size = imageSize;
        _lightGbmIterations = lightGbmIterations;
        Name = $"{(features == ImageFeatures.Pixels ? "pixels" : "resnet18")}-{trainer.ToString().ToLowerInvariant()}";
        Hyperparameters = new Dictionary<string, object?>
        {
            ["features"] = features == ImageFeatures.Pixels ? "pixels" : "resnet18",
            ["trainer"] = trainer.ToString().ToLowerInvariant(),
            ["imageSize"] = features == ImageFeatures.ResNet18 ? ResNetSize : imageSize,
            ["iterations"] = trainer == ImageTrainer.LightGbm ? lightGbmIterations : null,
        };
    }

    public string Name { get; }
    public ModelFamily Family => _features == ImageFeatures.ResNet18 ? ModelFamily.Onnx : ModelFamily.MlNet;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; }

    /// <summary>The folder that holds ResNet18's ONNX files (copied to the output by the featurizer package).</summary>
    internal static string ResNetFolder => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    public string? SkipReason => _features == ImageFeatures.ResNet18 && !File.Exists(Path.Combine(ResNetFolder, "ResNet18Onnx", "ResNet18.onnx"))
        ? $"the ResNet18 ONNX model was not found in '{ResNetFolder}' (it comes with the Microsoft.ML.DnnImageFeaturizer.ResNet18 package)"
        : null;

    public Task<ITrainedModel<ImageExamples>> FitAsync(ImageExamples train, ImageExamples validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<ImageExamples>>(() =>
        {
            var ml = new MLContext(context.Seed);
            var classes = train.ClassNames.Count;
            var size = _size ?? Math.Clamp(train.TypicalSize, 8, 32);
            cancellationToken.ThrowIfCancellationRequested();
            if (_features == ImageFeatures.Pixels)
            {
                var colors = train.Channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb;
                var pipeline = ml.Transforms.LoadImages("Image", null, "Path")
                    .Append(ml.Transforms.ResizeImages("Image", size, size, resizing: ImageResizingEstimator.ResizingKind.Fill))
                    .Append(ml.Transforms.ExtractPixels("Features", "Image", colorsToExtract: colors, scaleImage: 1f / 255))
                    .Append(ml.Transforms.DropColumns("Image"))
                    .AppendCacheCheckpoint(ml)
                    .Append(Trainer(ml, normalize: false));
                var model = pipeline.Fit(PathView(ml, train, classes));
                return new MlNetImageModel(ml, model, null, classes);
            }
            var featurizer = ResNetFeaturizer(ml, train);
            var features = ResNetFeatures(ml, featurizer, train, cache: true);
            var trained = Trainer(ml, normalize: _trainer != ImageTrainer.LightGbm).Fit(FeatureView(ml, features, train.Labels, classes));
            return new MlNetImageModel(ml, trained, featurizer, classes);
        }, cancellationToken);

    private IEstimator<ITransformer> Trainer(MLContext ml, bool normalize)
    {
        IEstimator<ITransformer> trainer = _trainer switch
        {
            ImageTrainer.Lbfgs => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"),
            ImageTrainer.Sdca => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features"),
            _ => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
            {
                LabelColumnName = "Label", FeatureColumnName = "Features", NumberOfIterations = _lightGbmIterations,
                LearningRate = 0.1, NumberOfLeaves = 15, MinimumExampleCountPerLeaf = 5, Seed = 1,
            }),
        };
        return normalize ? ml.Transforms.NormalizeMinMax("Features").Append(trainer) : trainer;
    }

    internal static ITransformer ResNetFeaturizer(MLContext ml, ImageExamples examples) => ResNetFeaturizer(ml, examples.ClassNames.Count);

    /// <summary>The ResNet18 featurizer; its transforms learn nothing, so it is fitted on the (empty) schema alone and can be rebuilt when a bundle is loaded.</summary>
    internal static ITransformer ResNetFeaturizer(MLContext ml, int classes) =>
        ml.Transforms.LoadImages("Image", null, "Path")
            .Append(ml.Transforms.ResizeImages("Image", ResNetSize, ResNetSize, resizing: ImageResizingEstimator.ResizingKind.Fill))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn, ResNetFolder), "Pixels"))
            .Fit(PathView(ml, new ImageExamples([], [], [.. Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))], 3, 0, new ImageCache()), classes));

    /// <summary>ResNet18 features of every example; training features are cached (shared by the ResNet18 candidates).</summary>
    internal static float[][] ResNetFeatures(MLContext ml, ITransformer featurizer, ImageExamples examples, bool cache)
    {
        var result = new float[examples.Rows][];
        var missing = new List<int>();
        for (var i = 0; i < examples.Rows; i++)
            if (cache && examples.Features.TryGetValue(("resnet18", examples.Paths[i]), out var known)) result[i] = known;
            else missing.Add(i);
        if (missing.Count == 0) return result;
        var subset = examples.Subset(missing);
        var computed = featurizer.Transform(PathView(ml, subset, examples.ClassNames.Count)).GetColumn<float[]>("Features").ToArray();
        for (var j = 0; j < missing.Count; j++)
        {
            result[missing[j]] = computed[j];
            if (cache) examples.Features[("resnet18", examples.Paths[missing[j]])] = computed[j];
        }
        return result;
    }

    internal static IDataView PathView(MLContext ml, ImageExamples examples, int classes)
    {
        var schema = SchemaDefinition.Create(typeof(PathRow));
        schema[nameof(PathRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        return ml.Data.LoadFromEnumerable(examples.Paths.Select((p, i) => new PathRow { Path = p, Label = (uint)examples.Labels[i] }).ToArray(), schema);
    }

    internal static IDataView FeatureView(MLContext ml, float[][] features, float[] labels, int classes)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features.Length == 0 ? 1 : features[0].Length);
        return ml.Data.LoadFromEnumerable(features.Select((f, i) => new FeatureRow { Features = f, Label = (uint)labels[i] }).ToArray(), schema);
    }

    internal sealed class PathRow
    {
        public string Path { get; set; } = "";
        public uint Label { get; set; }
    }

    internal sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
        public uint Label { get; set; }
    }
}

/// <summary>
/// A trained ML.NET image pipeline (with the ResNet18 featurizer in front when it has one). In a bundle: the ML.NET
/// model as <c>mlnet.zip</c> (for pixels the whole pipeline from the path column; for ResNet18 the trainer over the 512
/// features, since the featurizer is the packaged ONNX model, recorded by checksum and rebuilt on load) and
/// <c>mlnet-image.json</c>.
/// </summary>
internal sealed class MlNetImageModel(MLContext ml, ITransformer model, ITransformer? featurizer, int classes) : ITrainedModel<ImageExamples>, IBundledModel
{
    internal const string BundleFormat = "mlnet-image";
    private const int ResNetFeatures = 512;

    private sealed record State(string Features, int Classes);

    public IReadOnlyList<Curve> Curves => [];

    public string Format => BundleFormat;

    public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        var schema = featurizer is null
            ? MlNetImageCandidate.PathView(ml, new ImageExamples([], [], [], 3, 0, new ImageCache()), classes).Schema
            : MlNetImageCandidate.FeatureView(ml, [new float[ResNetFeatures]], [0], classes).Schema;
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        entries["mlnet.zip"] = stream.ToArray();
        entries["mlnet-image.json"] = BundleEntries.ToJson(new State(featurizer is null ? "pixels" : "resnet18", classes));
        if (featurizer is not null)
        {
            assets.Add(PretrainedAssets.Describe(ImageFamily.ResNet18File));
            assets.Add(PretrainedAssets.Describe(ImageFamily.ResNetPreprocessFile));
        }
    }

    /// <summary>Reads a model written by <see cref="Save"/> (the pretrained files were checked by the caller).</summary>
    internal static MlNetImageModel Load(BundleEntries entries, int classes)
    {
        var state = entries.Json<State>("mlnet-image.json");
        if (state.Classes != classes) throw new InvalidDataException($"the model has {state.Classes} classes, the manifest {classes}");
        var ml = new MLContext(0);
        // The image transforms live in ImageAnalytics; registering it lets ML.NET find their loaders.
        ml.ComponentCatalog.RegisterAssembly(typeof(ImageLoadingTransformer).Assembly);
        using var stream = new MemoryStream(entries.Bytes("mlnet.zip"), writable: false);
        var transformer = ml.Model.Load(stream, out _);
        var featurizer = state.Features switch
        {
            "pixels" => null,
            "resnet18" => MlNetImageCandidate.ResNetFeaturizer(ml, classes),
            _ => throw new InvalidDataException($"unknown image features '{state.Features}'"),
        };
        return new MlNetImageModel(ml, transformer, featurizer, classes);
    }

    public Predictions Predict(ImageExamples data)
    {
        var view = featurizer is null
            ? MlNetImageCandidate.PathView(ml, data, classes)
            : MlNetImageCandidate.FeatureView(ml, MlNetImageCandidate.ResNetFeatures(ml, featurizer, data, cache: false), data.Labels, classes);
        var scores = model.Transform(view).GetColumn<float[]>("Score").ToArray();
        return Predictions.FromProbabilities(scores.Select(s => s.Length == classes ? s : Pad(s)).ToArray());
    }

    private float[] Pad(float[] s)
    {
        var p = new float[classes];
        Array.Copy(s, p, Math.Min(s.Length, classes));
        return p;
    }

    public void Dispose() => (featurizer as IDisposable)?.Dispose();
}
