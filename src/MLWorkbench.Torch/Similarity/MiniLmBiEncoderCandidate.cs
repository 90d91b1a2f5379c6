using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Torch.Bert;
using MLWorkbench.Results;
using MLWorkbench.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MLWorkbench.Similarity;

/// <summary>A sentence embedder: BERT, then pooling; [batch, hidden] out.</summary>
internal sealed class BiEncoderNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>, IMiniLmNetwork
{
#pragma warning disable IDE1006 // Field names become parameter names.
    private readonly BertEncoder encoder;
#pragma warning restore IDE1006
    private readonly SentencePooling _pooling;

    public BiEncoderNetwork(BertEncoder bert, SentencePooling pooling) : base(nameof(BiEncoderNetwork))
    {
        encoder = bert;
        _pooling = pooling;
        RegisterComponents();
    }

    /// <summary>The encoder's shape.</summary>
    public BertConfig Config => encoder.Config;

    /// <summary>How token vectors are pooled.</summary>
    public SentencePooling Pooling => _pooling;

    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        return MiniLmFineTuning.Pool(encoder.call(inputIds, attentionMask, tokenTypeIds), attentionMask, _pooling).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Fine-tunes all-MiniLM-L6-v2 (TorchSharp <see cref="BertEncoder"/> initialised from the packaged ONNX weights) as a
/// bi-encoder: each sentence embedded alone, pooled; the loss is sentence-transformers' CosineSimilarityLoss (MSE
/// between the cosine of the two embeddings and the gold score scaled to [0, 1]). Predicts min + cosine × (max − min).
/// </summary>
internal sealed class MiniLmBiEncoderCandidate(MiniLmFineTuneOptions options) : ICandidate<SentencePairs>
{
    public string Name => "minilm-biencoder";
    public ModelFamily Family => ModelFamily.Torch;
    public string? SkipReason => null;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = options.ToHyperparameters("mse(cosine, score01)");

    public Task<ITrainedModel<SentencePairs>> FitAsync(SentencePairs train, SentencePairs validation, TrainContext context, CancellationToken cancellationToken) =>
        MiniLmFineTuning.FitAsync(options, train, validation, context, bert => new BiEncoderNetwork(bert, options.Pooling), "MSE (cosine vs score 0-1)",
            (run, data, rows) =>
            {
                var texts = rows.Select(i => data.First[i]).Concat(rows.Select(i => data.Second[i])).ToArray();
                var (ids, mask, types) = run.Tokenizer.EncodeBatch(texts, maxLength: options.MaxLength).ToTensors(run.Device);
                var embeddings = MixedPrecision.Float(run.Network.call(ids, mask, types));
                var cosine = nn.functional.cosine_similarity(embeddings[..rows.Length], embeddings[rows.Length..], dim: 1);
                return nn.functional.mse_loss(cosine, tensor(rows.Select(i => run.Targets[i]).ToArray(), device: run.Device));
            },
            (run, data) => Cosines(run.Network, run.Tokenizer, data, options.MaxLength, run.Device, cancellationToken),
            (run, curves, plan) => new BiEncoderModel(run.Network, run.Tokenizer, options.MaxLength, run.Device, train.Range, curves) { Plan = plan },
            cancellationToken);

    /// <summary>The cosine of each pair's two embeddings (eval mode, no gradients expected from the caller).</summary>
    internal static float[] Cosines(BiEncoderNetwork network, BertWordPieceTokenizer tokenizer, SentencePairs data, int maxLength, Device device,
        CancellationToken cancellationToken)
    {
        var sentences = data.First.Concat(data.Second).Distinct(StringComparer.Ordinal).ToArray();
        var embeddings = Embed(network, tokenizer, sentences, maxLength, device, cancellationToken);
        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < sentences.Length; i++) lookup[sentences[i]] = i;
        var result = new float[data.Rows];
        for (var i = 0; i < data.Rows; i++)
        {
            var (a, b) = (embeddings[lookup[data.First[i]]], embeddings[lookup[data.Second[i]]]);
            double dot = 0;
            for (var d = 0; d < a.Length; d++) dot += a[d] * b[d];
            result[i] = (float)dot;
        }
        return result;
    }

    /// <summary>Unit-length pooled embeddings of <paramref name="texts"/> (eval mode, no gradients expected from the caller).</summary>
    private static float[][] Embed(BiEncoderNetwork network, BertWordPieceTokenizer tokenizer, IReadOnlyList<string> texts, int maxLength, Device device,
        CancellationToken cancellationToken)
    {
        var result = new float[texts.Count][];
        foreach (var rows in MiniLmFineTuning.LengthBatches(texts.Count, i => texts[i].Length, 64))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (ids, mask, types) = tokenizer.EncodeBatch(rows.Select(i => texts[i]).ToArray(), maxLength: maxLength).ToTensors(device);
            using var pooled = nn.functional.normalize(MixedPrecision.Float(network.call(ids, mask, types)), dim: 1).cpu();
            var flat = pooled.data<float>().ToArray();
            var width = (int)pooled.shape[1];
            for (var r = 0; r < rows.Length; r++) result[rows[r]] = flat[(r * width)..((r + 1) * width)];
        }
        return result;
    }

    internal const string BundleFormat = "minilm-biencoder";

    /// <summary>Reads a model written by the bundle hook; it predicts on the CPU.</summary>
    internal static ITrainedModel<SentencePairs> Load(BundleEntries entries)
    {
        var (network, state) = MiniLmFineTuning.Load(entries, BundleFormat, (bert, pooling) => new BiEncoderNetwork(bert, pooling));
        return new BiEncoderModel(network, MiniLmAssets.CreateTokenizer(), state.MaxLength, CPU, state.Range, []);
    }

    /// <summary>The fine-tuned bi-encoder: min + cosine × (max − min); it serves its sentence embeddings too.</summary>
    private sealed class BiEncoderModel(BiEncoderNetwork network, BertWordPieceTokenizer tokenizer, int maxLength, Device device, ScoreRange range,
        IReadOnlyList<Curve> curves) : MiniLmPairModel<BiEncoderNetwork>(network, tokenizer, maxLength, device, range, curves, BundleFormat,
            (bert, pooling) => new BiEncoderNetwork(bert, pooling)), IEmbeddingModel
    {
        /// <summary>Unit-length pooled embeddings, as the cosine scores use them.</summary>
        public float[][] Embed(IReadOnlyList<string> texts)
        {
            Network.eval();
            using var noGrad = no_grad();
            return MiniLmBiEncoderCandidate.Embed(Network, Tokenizer, texts, MaxLength, Device, CancellationToken.None);
        }

        protected override float[] Scores(SentencePairs data) => Cosines(Network, Tokenizer, data, MaxLength, Device, CancellationToken.None);
    }
}
