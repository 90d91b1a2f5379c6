using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.TorchSharp;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Results;

namespace MLWorkbench.TextClassification;

/// <summary>
/// ML.NET's own NAS-BERT <c>TextClassification</c> trainer (Microsoft.ML.TorchSharp). It runs only when its files are
/// already on disk, because ML.NET would download them otherwise: the weights <c>NasBert2000000.tsm</c> in
/// <c>&lt;temp&gt;/mlnet/</c> (ML.NET's <c>TempFilePath</c>, i.e. <see cref="Path.GetTempPath"/>, plus <c>mlnet</c>) and
/// the RoBERTa tokenizer files <c>encoder.json</c>, <c>vocab.bpe</c> and <c>dict.txt</c> in the working directory.
/// Otherwise it is skipped with that reason.
/// </summary>
internal sealed class NasBertCandidate(int maxEpochs = 4, int batchSize = 32) : ICandidate<TextExamples>
{
    public const string ModelFile = "NasBert2000000.tsm";
    public static readonly string[] TokenizerFiles = ["encoder.json", "vocab.bpe", "dict.txt"];

    public string Name => "nasbert";
    public ModelFamily Family => ModelFamily.Torch;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["trainer"] = "ml.net TextClassification (NAS-BERT)", ["maxEpochs"] = maxEpochs, ["batchSize"] = batchSize,
    };

    /// <summary>Where ML.NET looks for the weights.</summary>
    public static string ModelFolder => Path.Combine(Path.GetTempPath(), "mlnet");

    public string? SkipReason
    {
        get
        {
            var missing = new List<string>();
            if (!File.Exists(Path.Combine(ModelFolder, ModelFile))) missing.Add(Path.Combine(ModelFolder, ModelFile));
            missing.AddRange(TokenizerFiles.Where(f => !File.Exists(f)).Select(Path.GetFullPath));
            return missing.Count == 0 ? null
                : $"ML.NET's NAS-BERT trainer needs files it would otherwise download ({string.Join(", ", missing)} missing), and nothing is downloaded at run time";
        }
    }

    public Task<ITrainedModel<TextExamples>> FitAsync(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<TextExamples>>(() =>
        {
            var ml = new MLContext(context.Seed);
            var classes = train.ClassNames.Count;
            var trainer = ml.MulticlassClassification.Trainers.TextClassification(labelColumnName: "Label", sentence1ColumnName: "Text",
                batchSize: batchSize, maxEpochs: maxEpochs, validationSet: MlNetTextCandidate.TextView(ml, validation, classes));
            cancellationToken.ThrowIfCancellationRequested();
            var model = trainer.Fit(MlNetTextCandidate.TextView(ml, train, classes));
            return new NasBertModel(ml, model, classes);
        }, cancellationToken);

    private sealed class NasBertModel(MLContext ml, ITransformer model, int classes) : ITrainedModel<TextExamples>
    {
        public IReadOnlyList<Curve> Curves => [];

        public Predictions Predict(TextExamples data)
        {
            var scores = model.Transform(MlNetTextCandidate.TextView(ml, data, classes)).GetColumn<float[]>("Score").ToArray();
            return Predictions.FromProbabilities(scores);
        }

        public void Dispose() => (model as IDisposable)?.Dispose();
    }
}
