using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Results;

namespace MLWorkbench.Similarity;

/// <summary>
/// all-MiniLM-L6-v2 as shipped (ONNX Runtime), no training: the cosine of the two sentence embeddings, mapped
/// linearly to the score range (cosine 0 → Min, 1 → Max; not clamped). The map changes MSE, never Spearman or Pearson.
/// </summary>
internal sealed class MiniLmZeroShotCandidate(int maxLength = 128) : IExampleCandidate<SentencePairs>
{
    public string Name => "minilm-zeroshot";
    public ModelFamily Family => ModelFamily.Onnx;
    public string? SkipReason => null;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["model"] = "all-MiniLM-L6-v2 (onnx)", ["pooling"] = "mean", ["maxLength"] = maxLength, ["training"] = "none",
        ["scoreMap"] = "min + cosine * (max - min)",
    };

    public Task<IExampleModel<SentencePairs>> FitAsync(SentencePairs train, SentencePairs validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<IExampleModel<SentencePairs>>(() => new ZeroShotModel(new MiniLmOnnxEncoder(maxLength), train.Range, cancellationToken), cancellationToken);

    private sealed class ZeroShotModel(MiniLmOnnxEncoder encoder, ScoreRange range, CancellationToken cancellationToken) : IExampleModel<SentencePairs>
    {
        public IReadOnlyList<Curve> Curves => [];

        public Predictions Predict(SentencePairs data)
        {
            var sentences = data.First.Concat(data.Second).Distinct(StringComparer.Ordinal).ToArray();
            var embeddings = encoder.Encode(sentences, cancellationToken: cancellationToken);
            var lookup = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (var i = 0; i < sentences.Length; i++) lookup[sentences[i]] = embeddings[i];
            var scores = new float[data.Rows];
            for (var i = 0; i < data.Rows; i++)
            {
                var (a, b) = (lookup[data.First[i]], lookup[data.Second[i]]);
                double dot = 0;
                for (var d = 0; d < a.Length; d++) dot += a[d] * b[d];
                scores[i] = range.Denormalize(dot);
            }
            return Predictions.Regression(scores);
        }

        public void Dispose() => encoder.Dispose();
    }
}
