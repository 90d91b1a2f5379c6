using Microsoft.ML;
using Microsoft.ML.Data;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Models.MlNet;

/// <summary>
/// A candidate backed by an ML.NET estimator chain that reads a <c>Features</c> vector and a <c>Label</c>
/// (a float, a bool or a key, by task) and writes ML.NET's standard prediction columns.
/// </summary>
internal sealed class MlNetCandidate(
    string name,
    IReadOnlyDictionary<string, object?> hyperparameters,
    Func<MLContext, int, IEstimator<ITransformer>> createPipeline) : ICandidate<FeatureMatrix>
{
    public string Name { get; } = name;
    public ModelFamily Family => ModelFamily.MlNet;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = hyperparameters;

    public Task<ITrainedModel<FeatureMatrix>> FitAsync(FeatureMatrix train, FeatureMatrix validation, TrainContext context, CancellationToken cancellationToken)
    {
        // ML.NET trainers are synchronous and offer no public cancellation hook: run on the pool so callers
        // stay responsive; cancellation takes effect when the fit returns.
        return Task.Run<ITrainedModel<FeatureMatrix>>(() =>
        {
            var ml = new MLContext(context.Seed);
            var model = createPipeline(ml, context.Classes).Fit(DataViews.From(ml, train, context.Task));
            cancellationToken.ThrowIfCancellationRequested();
            // The input schema (a Features vector of this width, and the label) is what a saved model is read back with.
            var schema = DataViews.From(ml, new FeatureMatrix([], [], train.FeatureNames, train.ClassNames), context.Task).Schema;
            return new Model(ml, model, context, schema);
        }, cancellationToken);
    }

    private sealed class Model(MLContext ml, ITransformer transformer, TrainContext context, DataViewSchema inputSchema) : ITrainedModel<FeatureMatrix>, IBundledModel
    {
        public IReadOnlyList<Curve> Curves => [];

        public string Format => MlNetServingModel.BundleFormat;

        public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
        {
            using var stream = new MemoryStream();
            ml.Model.Save(transformer, inputSchema, stream);
            entries["mlnet.zip"] = stream.ToArray();
        }

        public Predictions Predict(FeatureMatrix features)
        {
            var scored = transformer.Transform(DataViews.From(ml, features, context.Task));
            switch (context.Task)
            {
                case TaskKind.Regression:
                    return Predictions.Regression(scored.GetColumn<float>("Score").ToArray());
                case TaskKind.BinaryClassification:
                    return Predictions.FromProbabilities(scored.GetColumn<float>("Probability").Select(p => new[] { 1 - p, p }).ToArray());
                default:
                    return Predictions.FromProbabilities(scored.GetColumn<float[]>("Score").Select(Normalize).ToArray());
            }
        }

        // One-versus-all scores need not sum to one; maximum entropy and LightGBM scores already do.
        private static float[] Normalize(float[] scores)
        {
            var sum = scores.Sum(s => Math.Max(s, 0));
            return sum > 0 ? scores.Select(s => Math.Max(s, 0) / sum).ToArray() : scores.Select(_ => 1f / scores.Length).ToArray();
        }

        public void Dispose() => (transformer as IDisposable)?.Dispose();
    }
}

/// <summary>Builds ML.NET data views over a <see cref="FeatureMatrix"/>, with the label type each task needs.</summary>
internal static class DataViews
{
    private sealed class RegressionRow
    {
        public float Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    private sealed class BinaryRow
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    private sealed class MulticlassRow
    {
        public uint Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    public static IDataView From(MLContext ml, FeatureMatrix x, TaskKind task)
    {
        var features = new VectorDataViewType(NumberDataViewType.Single, x.Columns);
        switch (task)
        {
            case TaskKind.Regression:
            {
                var schema = SchemaDefinition.Create(typeof(RegressionRow));
                schema[nameof(RegressionRow.Features)].ColumnType = features;
                return ml.Data.LoadFromEnumerable(Enumerable.Range(0, x.Rows).Select(r => new RegressionRow { Label = x.Labels[r], Features = x.Row(r).ToArray() }).ToArray(), schema);
            }
            case TaskKind.BinaryClassification:
            {
                var schema = SchemaDefinition.Create(typeof(BinaryRow));
                schema[nameof(BinaryRow.Features)].ColumnType = features;
                return ml.Data.LoadFromEnumerable(Enumerable.Range(0, x.Rows).Select(r => new BinaryRow { Label = x.Labels[r] == 1, Features = x.Row(r).ToArray() }).ToArray(), schema);
            }
            default:
            {
                var schema = SchemaDefinition.Create(typeof(MulticlassRow));
                schema[nameof(MulticlassRow.Features)].ColumnType = features;
                // The enumerable loader takes key values 0-based (it adds the 1 that marks a key as present;
                // measured: +1 here shifted every score slot by one), so class index i lands in score slot i.
                schema[nameof(MulticlassRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), x.ClassNames!.Count);
                return ml.Data.LoadFromEnumerable(Enumerable.Range(0, x.Rows).Select(r => new MulticlassRow { Label = (uint)x.Labels[r], Features = x.Row(r).ToArray() }).ToArray(), schema);
            }
        }
    }
}
