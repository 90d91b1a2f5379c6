using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;

namespace MLWorkbench.Similarity;

/// <summary>The ML.NET regression trainer behind a lexical candidate.</summary>
internal enum LexicalTrainer
{
    /// <summary>ML.NET FastTree (boosted trees, MART).</summary>
    FastTree,
    /// <summary>ML.NET LightGBM.</summary>
    LightGbm,
}

/// <summary>Settings of the lexical candidates; the defaults are what <c>lexical-fasttree</c> and <c>lexical-lightgbm</c> use.</summary>
internal sealed record LexicalOptions
{
    /// <summary>Boosting rounds (trees).</summary>
    public int Trees { get; init; } = 300;

    /// <summary>Leaves per tree.</summary>
    public int Leaves { get; init; } = 15;

    /// <summary>Shrinkage per tree.</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>Fewest training pairs in a leaf.</summary>
    public int MinimumExamplesPerLeaf { get; init; } = 10;
}

/// <summary>
/// Lexical features (<see cref="LexicalFeatures"/>, IDF learned from the training sentences) into an ML.NET
/// boosted-tree regression of the gold score. Cheap (seconds), no pretrained model: the baseline to beat.
/// </summary>
internal sealed class LexicalCandidate(LexicalTrainer trainer, LexicalOptions options) : ICandidate<SentencePairs>
{
    public string Name => trainer == LexicalTrainer.FastTree ? "lexical-fasttree" : "lexical-lightgbm";
    public ModelFamily Family => ModelFamily.MlNet;
    public string? SkipReason => null;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["features"] = string.Join(",", LexicalFeatures.Names), ["trainer"] = trainer == LexicalTrainer.FastTree ? "fasttree" : "lightgbm",
        ["trees"] = options.Trees, ["leaves"] = options.Leaves, ["learningRate"] = options.LearningRate,
        ["minimumExamplesPerLeaf"] = options.MinimumExamplesPerLeaf,
    };

    public Task<ITrainedModel<SentencePairs>> FitAsync(SentencePairs train, SentencePairs validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<SentencePairs>>(() =>
        {
            var ml = new MLContext(context.Seed);
            var features = LexicalFeatures.Fit(train);
            cancellationToken.ThrowIfCancellationRequested();
            IEstimator<ITransformer> estimator = trainer == LexicalTrainer.FastTree
                ? ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
                {
                    NumberOfTrees = options.Trees, NumberOfLeaves = options.Leaves, LearningRate = options.LearningRate,
                    MinimumExampleCountPerLeaf = options.MinimumExamplesPerLeaf, Seed = context.Seed, NumberOfThreads = 1,
                })
                : ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
                {
                    NumberOfIterations = options.Trees, NumberOfLeaves = options.Leaves, LearningRate = options.LearningRate,
                    MinimumExampleCountPerLeaf = options.MinimumExamplesPerLeaf, Seed = context.Seed, NumberOfThreads = 1,
                });
            var model = estimator.Fit(View(ml, features.Transform(train), train.Labels));
            return new LexicalModel(ml, features, model);
        }, cancellationToken);

    internal static IDataView View(MLContext ml, float[][] features, float[] labels)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, LexicalFeatures.Names.Count);
        return ml.Data.LoadFromEnumerable(features.Select((f, i) => new FeatureRow { Features = f, Label = labels[i] }).ToArray(), schema);
    }

    internal sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }
}

/// <summary>
/// A trained lexical model: the fitted features and the ML.NET regression. In a bundle: <c>lexical.json</c> (the IDF
/// weights) and <c>mlnet.zip</c> (the regression over the feature vector).
/// </summary>
internal sealed class LexicalModel(MLContext ml, LexicalFeatures features, ITransformer model) : ITrainedModel<SentencePairs>, IBundledModel
{
    internal const string BundleFormat = "lexical";

    private sealed record State(IReadOnlyList<string> Features, IReadOnlyDictionary<string, double> Idf, double UnknownIdf);

    public IReadOnlyList<Curve> Curves => [];

    public string Format => BundleFormat;

    public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        var (idf, unknown) = features.ToState();
        entries["lexical.json"] = BundleEntries.ToJson(new State(LexicalFeatures.Names, idf, unknown));
        using var stream = new MemoryStream();
        ml.Model.Save(model, LexicalCandidate.View(ml, [], []).Schema, stream);
        entries["mlnet.zip"] = stream.ToArray();
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    internal static LexicalModel Load(BundleEntries entries)
    {
        var state = entries.Json<State>("lexical.json");
        if (!state.Features.SequenceEqual(LexicalFeatures.Names))
            throw new InvalidDataException($"its lexical features ({string.Join(",", state.Features)}) are not the ones this MLWorkbench computes");
        var ml = new MLContext(0);
        using var stream = new MemoryStream(entries.Bytes("mlnet.zip"), writable: false);
        return new LexicalModel(ml, LexicalFeatures.FromState(state.Idf, state.UnknownIdf), ml.Model.Load(stream, out _));
    }

    public Predictions Predict(SentencePairs data) =>
        Predictions.Regression(model.Transform(LexicalCandidate.View(ml, features.Transform(data), data.Labels)).GetColumn<float>("Score").ToArray());

    public void Dispose() { }
}
