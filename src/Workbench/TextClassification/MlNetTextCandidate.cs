using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Models.MlNet;

namespace MLWorkbench.TextClassification;

/// <summary>What an ML.NET text candidate feeds its trainer.</summary>
internal enum TextFeatures
{
    /// <summary>
    /// ML.NET's <c>FeaturizeText</c>: word 1-2-grams and character 1-3-grams, TF-IDF weighted, L2-normalised.
    /// Character n-grams are what make texts without spaces (Chinese, Japanese) work.
    /// </summary>
    Ngrams,
    /// <summary>all-MiniLM-L6-v2 sentence embeddings (384 values, from the packaged ONNX model; the encoder is MLWorkbench.Onnx's).</summary>
    MiniLm,
}

/// <summary>Which ML.NET multiclass trainer a text candidate uses.</summary>
internal enum TextTrainer
{
    /// <summary>SDCA maximum entropy.</summary>
    Sdca,
    /// <summary>L-BFGS maximum entropy (multinomial logistic regression).</summary>
    Lbfgs,
    /// <summary>LightGBM, multiclass.</summary>
    LightGbm,
}

/// <summary>An ML.NET text classifier: n-gram or MiniLM features followed by a multiclass trainer.</summary>
internal sealed class MlNetTextCandidate : ICandidate<TextExamples>
{
    private const string MiniLmFeaturizer = "minilm-l6-v2";

    /// <summary>The sentence encoder MLWorkbench.Onnx registers for MiniLM features.</summary>
    internal const string MiniLmEncoder = "minilm";
    private const int LightGbmFeatures = 4000;
    private readonly TextFeatures _features;
    private readonly TextTrainer _trainer;
    private readonly int _lightGbmIterations;
    private readonly int _maxTokens;

    public MlNetTextCandidate(TextFeatures features, TextTrainer trainer, int lightGbmIterations = 200, int maxTokens = 128)
    {
        (_features, _trainer, _lightGbmIterations, _maxTokens) = (features, trainer, lightGbmIterations, maxTokens);
        Name = $"{(features == TextFeatures.Ngrams ? "ngram" : "minilm-embeddings")}-{trainer.ToString().ToLowerInvariant()}";
        if (features == TextFeatures.MiniLm && trainer == TextTrainer.Lbfgs) Name = "minilm-embeddings";
        Hyperparameters = new Dictionary<string, object?>
        {
            ["features"] = features == TextFeatures.Ngrams ? "word 1-2-grams + char 1-3-grams, tf-idf" : "minilm-l6-v2 mean-pooled embeddings",
            ["trainer"] = trainer.ToString().ToLowerInvariant(),
            ["iterations"] = trainer == TextTrainer.LightGbm ? lightGbmIterations : null,
            ["selectedFeatures"] = features == TextFeatures.Ngrams && trainer == TextTrainer.LightGbm ? LightGbmFeatures : null,
            ["maxTokens"] = features == TextFeatures.MiniLm ? maxTokens : null,
        };
    }

    public string Name { get; }
    public ModelFamily Family => _features == TextFeatures.MiniLm ? ModelFamily.Onnx : ModelFamily.MlNet;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; }
    public string? SkipReason => null;

    public Task<ITrainedModel<TextExamples>> FitAsync(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<TextExamples>>(() =>
        {
            var ml = new MLContext(context.Seed);
            var classes = train.ClassNames.Count;
            cancellationToken.ThrowIfCancellationRequested();
            if (_features == TextFeatures.Ngrams)
            {
                var options = new TextFeaturizingEstimator.Options
                {
                    CaseMode = TextNormalizingEstimator.CaseMode.Lower,
                    KeepDiacritics = false, KeepPunctuations = true, KeepNumbers = true,
                    WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = 2, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
                    CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = 3, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf },
                    Norm = TextFeaturizingEstimator.NormFunction.L2,
                };
                IEstimator<ITransformer> featurize = ml.Transforms.Text.FeaturizeText("Features", options, "Text");
                // LightGBM bins every one of the 10^5 sparse n-gram columns and takes many minutes on them; give it
                // the most informative few thousand (mutual information with the label, learned from training rows).
                if (_trainer == TextTrainer.LightGbm)
                    featurize = featurize.Append(ml.Transforms.FeatureSelection.SelectFeaturesBasedOnMutualInformation("Features", slotsInOutput: LightGbmFeatures));
                var pipeline = featurize.AppendCacheCheckpoint(ml).Append(Trainer(ml));
                return new MlNetTextModel(ml, pipeline.Fit(TextView(ml, train, classes)), null, classes);
            }
            var encoder = ExtensionRegistry.Default.TextEncoder(MiniLmEncoder, _maxTokens);
            try
            {
                var features = Embeddings(encoder, train, cancellationToken);
                var trained = Trainer(ml).Fit(FeatureView(ml, features, train.Labels, classes));
                return new MlNetTextModel(ml, trained, encoder, classes);
            }
            catch
            {
                encoder.Dispose();
                throw;
            }
        }, cancellationToken);

    private IEstimator<ITransformer> Trainer(MLContext ml) => _trainer switch
    {
        // Light L2 only: the defaults (L1 = L2 = 1) underfit unit-length tf-idf vectors of small data sets.
        TextTrainer.Lbfgs => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features", l1Regularization: 0, l2Regularization: 1e-3f),
        TextTrainer.Sdca => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features"),
        _ => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            LabelColumnName = "Label", FeatureColumnName = "Features", NumberOfIterations = _lightGbmIterations,
            LearningRate = 0.1, NumberOfLeaves = 31, MinimumExampleCountPerLeaf = 2, Seed = 1,
        }),
    };

    /// <summary>MiniLM embeddings of every text, cached per text and length limit (the embedding candidates share them).</summary>
    internal static float[][] Embeddings(ITextEncoder encoder, TextExamples examples, CancellationToken cancellationToken) =>
        examples.CachedFeatures($"{MiniLmFeaturizer}/{encoder.MaxLength}", texts => encoder.Encode(texts, 32, cancellationToken));

    /// <summary>Texts and labels as an ML.NET view; labels are keys whose raw values are the 0-based class indices (what LoadFromEnumerable expects for a key column).</summary>
    internal static IDataView TextView(MLContext ml, TextExamples examples, int classes)
    {
        var schema = SchemaDefinition.Create(typeof(TextRow));
        schema[nameof(TextRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        return ml.Data.LoadFromEnumerable(examples.Texts.Select((t, i) => new TextRow { Text = t, Label = (uint)examples.Labels[i] }).ToArray(), schema);
    }

    internal static IDataView FeatureView(MLContext ml, float[][] features, float[] labels, int classes)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features.Length == 0 ? 1 : features[0].Length);
        return ml.Data.LoadFromEnumerable(features.Select((f, i) => new FeatureRow { Features = f, Label = (uint)labels[i] }).ToArray(), schema);
    }

    internal sealed class TextRow
    {
        public string Text { get; set; } = "";
        public uint Label { get; set; }
    }

    internal sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
        public uint Label { get; set; }
    }
}

/// <summary>
/// A trained ML.NET text pipeline (with the MiniLM encoder in front when it has one). In a bundle: the ML.NET model as
/// <c>mlnet.zip</c> (for n-grams the whole pipeline from the text column; for MiniLM the trainer over the 384 embedding
/// values, since the encoder is the packaged ONNX model, recorded by checksum and opened again on load) and
/// <c>mlnet-text.json</c>.
/// </summary>
internal sealed class MlNetTextModel(MLContext ml, ITransformer model, ITextEncoder? encoder, int classes) : ITrainedModel<TextExamples>, IBundledModel
{
    internal const string BundleFormat = "mlnet-text";

    private sealed record State(string Features, int Classes, int MaxLength);

    public IReadOnlyList<Curve> Curves => [];

    public string Format => BundleFormat;

    public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        var schema = encoder is null
            ? MlNetTextCandidate.TextView(ml, new TextExamples([], [], []), classes).Schema
            : MlNetTextCandidate.FeatureView(ml, [new float[encoder.Dimension]], [0], classes).Schema;
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        entries["mlnet.zip"] = stream.ToArray();
        entries["mlnet-text.json"] = BundleEntries.ToJson(new State(encoder is null ? "ngrams" : "minilm", classes, encoder?.MaxLength ?? 0));
        if (encoder is not null)
        {
            foreach (var file in encoder.PretrainedFiles) assets.Add(PretrainedAssets.Describe(file));
        }
    }

    /// <summary>Reads a model written by <see cref="Save"/> (the pretrained files were checked by the caller).</summary>
    internal static MlNetTextModel Load(BundleEntries entries, int classes)
    {
        var state = entries.Json<State>("mlnet-text.json");
        if (state.Classes != classes) throw new InvalidDataException($"the model has {state.Classes} classes, the manifest {classes}");
        if (state.Features is not ("ngrams" or "minilm")) throw new InvalidDataException($"unknown text features '{state.Features}'");
        var ml = new MLContext(0);
        using var stream = new MemoryStream(entries.Bytes("mlnet.zip"), writable: false);
        var transformer = ml.Model.Load(stream, out _);
        return new MlNetTextModel(ml, transformer, state.Features == "minilm" ? ExtensionRegistry.Default.TextEncoder(MlNetTextCandidate.MiniLmEncoder, state.MaxLength) : null, classes);
    }

    private readonly Lock _engineGate = new();
    private PredictionEngine<MlNetTextCandidate.TextRow, ScoreRow>? _engine;

    internal sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }

    public Predictions Predict(TextExamples data)
    {
        // A served single row through a data view costs about 1 ms (building the view and its cursors); through a kept
        // prediction engine about 5 µs (benchmarks/Serving families). Same transformer, same numbers. MiniLM features are
        // dominated by the ONNX encoder, so they keep the data view.
        if (encoder is null && data.Rows < MlNetServingModel.DataViewRows) return PredictRows(data);
        var view = encoder is null
            ? MlNetTextCandidate.TextView(ml, data, classes)
            : MlNetTextCandidate.FeatureView(ml, encoder.Encode(data.Texts), data.Labels, classes);
        var scores = model.Transform(view).GetColumn<float[]>("Score").ToArray();
        return Predictions.FromProbabilities(scores.Select(Pad).ToArray());
    }

    private Predictions PredictRows(TextExamples data)
    {
        var scores = new float[data.Rows][];
        // A prediction engine is not thread-safe; the model is shared by whoever holds it.
        lock (_engineGate)
        {
            if (_engine is null)
            {
                var schema = SchemaDefinition.Create(typeof(MlNetTextCandidate.TextRow));
                schema[nameof(MlNetTextCandidate.TextRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
                _engine = ml.Model.CreatePredictionEngine<MlNetTextCandidate.TextRow, ScoreRow>(model, inputSchemaDefinition: schema);
            }
            var input = new MlNetTextCandidate.TextRow();
            var output = new ScoreRow();
            for (var i = 0; i < data.Rows; i++)
            {
                input.Text = data.Texts[i];
                _engine.Predict(input, ref output);
                scores[i] = Pad([.. output.Score]); // the engine may reuse the output's array
            }
        }
        return Predictions.FromProbabilities(scores);
    }

    private float[] Pad(float[] s)
    {
        if (s.Length == classes) return s;
        var p = new float[classes];
        Array.Copy(s, p, Math.Min(s.Length, classes));
        return p;
    }

    public void Dispose()
    {
        lock (_engineGate) _engine?.Dispose();
        encoder?.Dispose();
    }
}
