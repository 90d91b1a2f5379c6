using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

[assembly: ModelFamily<MLWorkbench.Similarity.MiniLmZeroShotFamily>]

namespace MLWorkbench.Similarity;

/// <summary>The zero-shot MiniLM format's registration, served as every sentence-pair model is (<see cref="SentencePairFamily.Serve"/>).</summary>
internal sealed class MiniLmZeroShotFamily : IModelFamily
{
    public IEnumerable<ModelFormat> Formats =>
    [
        // One copy: the encoder is 90 MB and ONNX Runtime's session is thread-safe.
        ModelFormat.Examples(MiniLmZeroShotCandidate.BundleFormat, TaskKind.SentenceSimilarity, "ONNX Runtime's native library", bundle =>
            SentencePairFamily.Serve(() => MiniLmZeroShotCandidate.Load(bundle.Entries), copies: 1)),
    ];
}


/// <summary>
/// all-MiniLM-L6-v2 as shipped (ONNX Runtime), no training: the cosine of the two sentence embeddings, mapped
/// linearly to the score range (cosine 0 → Min, 1 → Max; not clamped). The map changes MSE, never Spearman or Pearson.
/// </summary>
internal sealed class MiniLmZeroShotCandidate(int maxLength = 128) : ICandidate<SentencePairs>
{
    public string Name => "minilm-zeroshot";
    public ModelFamily Family => ModelFamily.Onnx;
    public string? SkipReason => null;

    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = new Dictionary<string, object?>
    {
        ["model"] = "all-MiniLM-L6-v2 (onnx)", ["pooling"] = "mean", ["maxLength"] = maxLength, ["training"] = "none",
        ["scoreMap"] = "min + cosine * (max - min)",
    };

    public Task<ITrainedModel<SentencePairs>> FitAsync(SentencePairs train, SentencePairs validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<SentencePairs>>(() => new ZeroShotModel(new MiniLmOnnxEncoder(maxLength), train.Range, cancellationToken), cancellationToken);

    internal const string BundleFormat = "minilm-zeroshot";

    private sealed record State(int MaxLength, ScoreRange Range);

    /// <summary>Reads a model written by the bundle hook: the settings (the pretrained files were checked by the caller).</summary>
    internal static ITrainedModel<SentencePairs> Load(BundleEntries entries)
    {
        var state = entries.Json<State>("minilm-zeroshot.json");
        return new ZeroShotModel(new MiniLmOnnxEncoder(state.MaxLength), state.Range, CancellationToken.None);
    }

    /// <summary>
    /// The packaged model and a score range. In a bundle: <c>minilm-zeroshot.json</c> (length limit, range) and the
    /// MiniLM ONNX model and vocabulary by checksum.
    /// </summary>
    private sealed class ZeroShotModel(MiniLmOnnxEncoder encoder, ScoreRange range, CancellationToken cancellationToken)
        : ITrainedModel<SentencePairs>, IBundledModel, IEmbeddingModel
    {
        public IReadOnlyList<Curve> Curves => [];

        public string Format => BundleFormat;

        public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
        {
            entries["minilm-zeroshot.json"] = BundleEntries.ToJson(new State(encoder.MaxLength, range));
            assets.Add(PretrainedAssets.Describe(MiniLmFamily.ModelFile));
            assets.Add(PretrainedAssets.Describe(MiniLmFamily.VocabularyFile));
        }

        public float[][] Embed(IReadOnlyList<string> texts) => encoder.Encode(texts, cancellationToken: cancellationToken);

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
