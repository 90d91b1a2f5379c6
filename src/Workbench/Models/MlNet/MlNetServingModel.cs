using Microsoft.ML;
using Microsoft.ML.Data;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.MlNet;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Bundles;

namespace MLWorkbench.Models.MlNet;

/// <summary>
/// One loaded copy of a bundled ML.NET model, for one thread at a time (see <see cref="ModelPool{TModel}"/>). Small batches and
/// single rows go through a <see cref="PredictionEngine{TSrc, TDst}"/> that the copy keeps, reusing its schema bindings
/// and buffers; from <see cref="DataViewRows"/> rows on, ML.NET's transform over a data view (the training path) is
/// cheaper per row than the engine, because its setup (about 0.17 ms) is spread over the rows. Both run the same
/// transformer and arithmetic, so they give the same numbers. A PredictionEngine is not thread-safe, which is why there
/// is one per copy and a copy is never shared between concurrent calls.
/// </summary>
internal sealed class MlNetServingModel : ITrainedModel<FeatureMatrix>
{
    private readonly MLContext _ml;
    private readonly ITransformer _transformer;
    private readonly TaskKind _task;
    private readonly int _width;
    private readonly FeaturesRow _row;
    private IRowEngine? _engine;

    private MlNetServingModel(MLContext ml, ITransformer transformer, TaskKind task, int width)
    {
        _ml = ml;
        _transformer = transformer;
        _task = task;
        _width = width;
        _row = new FeaturesRow { Features = new float[_width] };
    }

    /// <summary>The bundle format of ML.NET tabular models: entry <c>model/mlnet.zip</c>, saved with <c>MLContext.Model.Save</c>.</summary>
    public const string BundleFormat = "mlnet";

    /// <summary>Reads the entry <c>model/mlnet.zip</c> of a bundle into its own MLContext.</summary>
    public static MlNetServingModel Load(byte[] mlnetZip, TaskKind task, int width)
    {
        var ml = new MLContext(0);
        using var stream = new MemoryStream(mlnetZip, writable: false);
        var transformer = ml.Model.Load(stream, out _);
        return new MlNetServingModel(ml, transformer, task, width);
    }

    public IReadOnlyList<Curve> Curves => [];

    /// <summary>Batches of at least this many rows go through a data view (measured by benchmarks/Serving batch-path).</summary>
    public const int DataViewRows = 512;

    /// <summary>Predicts every row: through the copy's prediction engine, or a data view for large batches.</summary>
    public Predictions Predict(FeatureMatrix features)
    {
        if (features.Rows >= DataViewRows) return PredictThroughDataView(features);
        _engine ??= CreateEngine();
        var rows = features.Rows;
        var values = new float[rows];
        var probabilities = _task == TaskKind.Regression ? null : new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            features.Row(r).CopyTo(_row.Features);
            _engine.Predict(_row, r, values, probabilities);
        }
        return probabilities is null ? Predictions.Regression(values) : Predictions.FromProbabilities(probabilities);
    }

    /// <summary>Predicts a batch as <c>MlNetCandidate</c> does in training: through a data view.</summary>
    public Predictions PredictThroughDataView(FeatureMatrix features)
    {
        var scored = _transformer.Transform(DataViews.From(_ml, features, _task));
        return _task switch
        {
            TaskKind.Regression => Predictions.Regression(scored.GetColumn<float>("Score").ToArray()),
            TaskKind.BinaryClassification => Predictions.FromProbabilities(scored.GetColumn<float>("Probability").Select(Binary).ToArray()),
            _ => Predictions.FromProbabilities(scored.GetColumn<float[]>("Score").Select(Normalize).ToArray()),
        };
    }

    /// <summary>Writes the ML.NET part of the pipeline (features → scores) as ONNX; see <c>OnnxExporter</c>.</summary>
    public void ConvertToOnnx(Stream stream)
    {
        var empty = _ml.Data.LoadFromEnumerable(Array.Empty<FeaturesRow>(), InputSchema());
        _ml.Model.ConvertToOnnx(_transformer, empty, stream);
    }

    /// <summary>Raw ML.NET outputs for a batch: what an ONNX export of this model must reproduce (tests and the exporter's check).</summary>
    public float[][] RawOutputs(FeatureMatrix features)
    {
        var scored = _transformer.Transform(DataViews.From(_ml, features, _task));
        return _task switch
        {
            TaskKind.Regression => scored.GetColumn<float>("Score").Select(s => new[] { s }).ToArray(),
            TaskKind.BinaryClassification => scored.GetColumn<float>("Probability").Select(p => new[] { p }).ToArray(),
            _ => scored.GetColumn<float[]>("Score").ToArray(),
        };
    }

    private SchemaDefinition InputSchema()
    {
        var schema = SchemaDefinition.Create(typeof(FeaturesRow));
        schema[nameof(FeaturesRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, _width);
        return schema;
    }

    private IRowEngine CreateEngine() => _task switch
    {
        TaskKind.Regression => new RowEngine<ScoreRow>(_ml.Model.CreatePredictionEngine<FeaturesRow, ScoreRow>(_transformer, inputSchemaDefinition: InputSchema()),
            (o, r, values, _) => values[r] = o.Score),
        TaskKind.BinaryClassification => new RowEngine<ProbabilityRow>(_ml.Model.CreatePredictionEngine<FeaturesRow, ProbabilityRow>(_transformer, inputSchemaDefinition: InputSchema()),
            (o, r, _, probabilities) => probabilities![r] = Binary(o.Probability)),
        _ => new RowEngine<ScoresRow>(_ml.Model.CreatePredictionEngine<FeaturesRow, ScoresRow>(_transformer, inputSchemaDefinition: InputSchema()),
            (o, r, _, probabilities) => probabilities![r] = Normalize(o.Score)),
    };

    private static float[] Binary(float p) => [1 - p, p];

    /// <summary>
    /// One-versus-all scores need not sum to one; maximum entropy and LightGBM scores already do. The same rule as
    /// <c>MlNetCandidate</c> applies in training, and <c>OnnxExporter</c> documents it for ONNX users.
    /// </summary>
    internal static float[] Normalize(float[] scores)
    {
        var sum = scores.Sum(s => Math.Max(s, 0));
        return sum > 0 ? scores.Select(s => Math.Max(s, 0) / sum).ToArray() : scores.Select(_ => 1f / scores.Length).ToArray();
    }

    public void Dispose()
    {
        _engine?.Dispose();
        (_transformer as IDisposable)?.Dispose();
    }

    private interface IRowEngine : IDisposable
    {
        /// <summary>Predicts <paramref name="row"/> into slot <paramref name="r"/> of the value (regression) or probability arrays.</summary>
        void Predict(FeaturesRow row, int r, float[] values, float[][]? probabilities);
    }

    private sealed class RowEngine<TOut>(PredictionEngine<FeaturesRow, TOut> engine, Action<TOut, int, float[], float[][]?> read) : IRowEngine
        where TOut : class, new()
    {
        private TOut _output = new();

        public void Predict(FeaturesRow row, int r, float[] values, float[][]? probabilities)
        {
            engine.Predict(row, ref _output);
            read(_output, r, values, probabilities);
        }

        public void Dispose() => engine.Dispose();
    }

    private sealed class FeaturesRow
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    private sealed class ProbabilityRow
    {
        public float Probability { get; set; }
    }

    private sealed class ScoresRow
    {
        public float[] Score { get; set; } = [];
    }
}
