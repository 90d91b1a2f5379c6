using Microsoft.ML;
using Microsoft.ML.Data;
using MLWorkbench.Data;
using MLWorkbench.Results;

namespace MLWorkbench.Models.MlNet;

/// <summary>
/// A regression candidate backed by an ML.NET estimator chain that reads a <c>Features</c> vector and a
/// <c>Label</c> and writes a <c>Score</c>.
/// </summary>
internal sealed class MlNetRegressionCandidate(
    string name,
    IReadOnlyDictionary<string, object?> hyperparameters,
    Func<MLContext, IEstimator<ITransformer>> createPipeline) : IRegressionCandidate
{
    public string Name { get; } = name;
    public ModelFamily Family => ModelFamily.MlNet;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = hyperparameters;

    public Task<IRegressionModel> FitAsync(FeatureMatrix train, FeatureMatrix validation, TrainContext context, CancellationToken cancellationToken)
    {
        // ML.NET trainers are synchronous and offer no public cancellation hook: run on the pool so callers
        // stay responsive; cancellation takes effect when the fit returns.
        return Task.Run<IRegressionModel>(() =>
        {
            var ml = new MLContext(context.Seed);
            var model = createPipeline(ml).Fit(DataViews.From(ml, train));
            cancellationToken.ThrowIfCancellationRequested();
            return new Model(ml, model);
        }, cancellationToken);
    }

    private sealed class Model(MLContext ml, ITransformer transformer) : IRegressionModel
    {
        public IReadOnlyList<Curve> Curves => [];

        public float[] Predict(FeatureMatrix features) =>
            transformer.Transform(DataViews.From(ml, features)).GetColumn<float>("Score").ToArray();

        public void Dispose() => (transformer as IDisposable)?.Dispose();
    }
}

/// <summary>Builds ML.NET data views over a <see cref="FeatureMatrix"/>.</summary>
internal static class DataViews
{
    private sealed class VectorRow
    {
        public float Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    public static IDataView From(MLContext ml, FeatureMatrix x)
    {
        var schema = SchemaDefinition.Create(typeof(VectorRow));
        schema[nameof(VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, x.Columns);
        var rows = new VectorRow[x.Rows];
        for (var r = 0; r < x.Rows; r++)
            rows[r] = new VectorRow { Label = x.Labels[r], Features = x.Row(r).ToArray() };
        return ml.Data.LoadFromEnumerable(rows, schema);
    }
}
