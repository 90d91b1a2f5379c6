using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
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
    Func<MLContext, PipelineInputs, IEstimator<ITransformer>> createPipeline,
    LabelScaling labelScaling = LabelScaling.None) : ICandidate<FeatureMatrix>
{
    // MLContext.CancelExecution() is internal in Microsoft.ML 5.0.1 (its public face is the Microsoft.ML.Experimental
    // package, which is not served here); trainers that check their host stop at their next iteration.
    private static readonly MethodInfo? CancelExecutionMethod = typeof(MLContext).GetMethod("CancelExecution",
        BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);

    public string Name { get; } = name;
    public ModelFamily Family => ModelFamily.MlNet;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = hyperparameters;

    /// <summary>True when this ML.NET build lets a fit be cancelled through its context.</summary>
    internal static bool CanCancel => CancelExecutionMethod is not null;

    public Task<ITrainedModel<FeatureMatrix>> FitAsync(FeatureMatrix train, FeatureMatrix validation, TrainContext context, CancellationToken cancellationToken)
    {
        // ML.NET trainers are synchronous: run on the pool, with a context of the fit's own, so that cancelling it
        // stops this fit only (trainers that listen throw at their next iteration; the others run to the end).
        return Task.Run<ITrainedModel<FeatureMatrix>>(() =>
        {
            var ml = new MLContext(context.Seed);
            using var cancel = cancellationToken.Register(() => CancelExecutionMethod?.Invoke(ml, null));
            var scale = context.Task == TaskKind.Regression ? TargetScale.Of(labelScaling, train.Labels) : TargetScale.Identity;
            var fitOn = scale.IsIdentity ? train : new FeatureMatrix(train.Values, train.Labels.Select(scale.Forward).ToArray(), train.FeatureNames, train.ClassNames);
            ITransformer model;
            try
            {
                model = createPipeline(ml, new PipelineInputs(context.Classes, fitOn)).Fit(DataViews.From(ml, fitOn, context.Task));
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // A cancelled fit throws from wherever the trainer noticed; the caller cancelled it.
                throw new OperationCanceledException(cancellationToken);
            }
            cancellationToken.ThrowIfCancellationRequested();
            // Predictions go back to the label's units inside the saved pipeline, so a bundle predicts in them too.
            if (!scale.IsIdentity) model = model.Append(scale.Inverse(ml));
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

/// <summary>How a linear learner's regression target is scaled before fitting (predictions are scaled back).</summary>
internal enum LabelScaling
{
    /// <summary>The target as it is.</summary>
    None,
    /// <summary>Centred on its mean and divided by its standard deviation (squared-loss learners).</summary>
    Standardize,
    /// <summary>
    /// Divided by its mean, not shifted, so that a non-negative target stays non-negative (Poisson regression; a
    /// target with negative values is still refused by the trainer, as it should be).
    /// </summary>
    DivideByMean,
}

/// <summary>
/// An affine map of the regression target learned from the training labels, y' = Zero + y × Unit (about (y − mean) / std),
/// whose inverse is ML.NET's min-max normalizer fitted on the two floats Zero and Zero + Unit: (x − min) / (max − min).
/// Both ends are floats first and the forward map is made from them, so that the inverse undoes it exactly whatever
/// the rounding of the label's mean and spread.
/// </summary>
/// <summary>
/// What an ML.NET pipeline may depend on besides its hyperparameters: the number of classes and the rows it is fitted
/// on (after any target scaling).
/// </summary>
internal readonly record struct PipelineInputs(int Classes, FeatureMatrix Train)
{
    /// <summary>
    /// The training rows' mean squared length after ML.NET's <c>NormalizeMinMax</c> (each column divided by its
    /// largest absolute value, zero kept): a gradient step on one row moves the prediction by the step size times
    /// this length, so a fixed step diverges on a wide table.
    /// </summary>
    public double MeanSquaredMinMaxRowLength()
    {
        var (rows, columns, values) = (Train.Rows, Train.Columns, Train.Values);
        if (rows == 0) return 0;
        var scale = new double[columns];
        for (var i = 0; i < values.Length; i++)
            scale[i % columns] = Math.Max(scale[i % columns], Math.Abs((double)values[i]));
        double total = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var s = scale[i % columns];
            if (s > 0 && double.IsFinite(s)) total += values[i] / s * (values[i] / s);
        }
        return total / rows;
    }
}

internal readonly record struct TargetScale(float Zero, float One)
{
    public static TargetScale Identity { get; } = new(0, 1);

    public bool IsIdentity => Zero == 0 && One == 1;

    private double Unit => (double)One - Zero;

    public float Forward(float y) => (float)(Zero + y * Unit);

    /// <summary>A transformer that maps the <c>Score</c> column back to the label's units (it saves, loads and exports to ONNX like any normalizer).</summary>
    public ITransformer Inverse(MLContext ml)
    {
        ArgumentNullException.ThrowIfNull(ml);
        var ends = ml.Data.LoadFromEnumerable(new[] { new ScoreRow { Score = Zero }, new ScoreRow { Score = One } });
        return ml.Transforms.NormalizeMinMax("Score", fixZero: false).Fit(ends);
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    public static TargetScale Of(LabelScaling scaling, IReadOnlyList<float> labels)
    {
        if (scaling == LabelScaling.None || labels.Count == 0 || labels.Any(y => !float.IsFinite(y))) return Identity;
        double mean = 0;
        foreach (var y in labels) mean += y;
        mean /= labels.Count;
        double shift = 0, spread;
        if (scaling == LabelScaling.Standardize)
        {
            double squares = 0;
            foreach (var y in labels) squares += (y - mean) * (y - mean);
            (shift, spread) = (mean, Math.Sqrt(squares / labels.Count));
        }
        else spread = mean;
        if (!(spread > 0) || !double.IsFinite(spread)) return Identity;
        // y' = (y − shift) / spread maps shift to 0 and shift + spread to 1: the ends of the inverse's range.
        var zero = (float)(-shift / spread);
        var one = (float)((1 - shift) / spread);
        return one > zero ? new TargetScale(zero, one) : Identity;
    }
}
