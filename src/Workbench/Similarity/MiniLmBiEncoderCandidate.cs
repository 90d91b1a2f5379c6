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
internal sealed class BiEncoderNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>
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
internal sealed class MiniLmBiEncoderCandidate(MiniLmFineTuneOptions options) : IExampleCandidate<SentencePairs>
{
    public string Name => "minilm-biencoder";
    public ModelFamily Family => ModelFamily.Torch;
    public string? SkipReason => null;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = WithLoss(options.ToHyperparameters());

    private static Dictionary<string, object?> WithLoss(Dictionary<string, object?> values)
    {
        values["loss"] = "mse(cosine, score01)";
        return values;
    }

    public Task<IExampleModel<SentencePairs>> FitAsync(SentencePairs train, SentencePairs validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<IExampleModel<SentencePairs>>(() =>
        {
            options.Validate();
            var (device, _, _) = ComputeDevices.Resolve(context.Device);
            random.manual_seed(context.Seed);
            var tokenizer = MiniLmAssets.CreateTokenizer();
            var network = new BiEncoderNetwork(BertWeights.LoadMiniLm(), options.Pooling);
            try
            {
                network.to(device);
                var targets = train.NormalizedScores();
                Tensor Loss(SentencePairs data, int[] rows)
                {
                    var texts = rows.Select(i => data.First[i]).Concat(rows.Select(i => data.Second[i])).ToArray();
                    var (ids, mask, types) = tokenizer.EncodeBatch(texts, maxLength: options.MaxLength).ToTensors(device);
                    var embeddings = network.call(ids, mask, types);
                    var cosine = nn.functional.cosine_similarity(embeddings[..rows.Length], embeddings[rows.Length..], dim: 1);
                    return nn.functional.mse_loss(cosine, tensor(rows.Select(i => targets[i]).ToArray(), device: device));
                }
                var curves = MiniLmFineTuning.Train(network, Loss, data => Cosines(network, tokenizer, data, options.MaxLength, device, cancellationToken),
                    train, validation, options, context.Seed, "MSE (cosine vs score 0-1)", cancellationToken);
                return new BiEncoderModel(network, tokenizer, options.MaxLength, device, train.Range, curves);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }, cancellationToken);

    /// <summary>The cosine of each pair's two embeddings (eval mode, no gradients expected from the caller).</summary>
    internal static float[] Cosines(BiEncoderNetwork network, BertWordPieceTokenizer tokenizer, SentencePairs data, int maxLength, Device device,
        CancellationToken cancellationToken)
    {
        var sentences = data.First.Concat(data.Second).Distinct(StringComparer.Ordinal).ToArray();
        var embeddings = new float[sentences.Length][];
        foreach (var rows in MiniLmFineTuning.LengthBatches(sentences.Length, i => sentences[i].Length, 64))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (ids, mask, types) = tokenizer.EncodeBatch(rows.Select(i => sentences[i]).ToArray(), maxLength: maxLength).ToTensors(device);
            using var pooled = nn.functional.normalize(network.call(ids, mask, types), dim: 1).cpu();
            var flat = pooled.data<float>().ToArray();
            var width = (int)pooled.shape[1];
            for (var r = 0; r < rows.Length; r++) embeddings[rows[r]] = flat[(r * width)..((r + 1) * width)];
        }
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

    internal const string BundleFormat = "minilm-biencoder";

    private sealed record State(BertConfig Bert, SentencePooling Pooling, int MaxLength, ScoreRange Range);

    /// <summary>Reads a model written by the bundle hook; it predicts on the CPU.</summary>
    internal static IExampleModel<SentencePairs> Load(BundleEntries entries)
    {
        var state = entries.Json<State>("minilm-biencoder.json");
        var network = TorchWeights.Load(new BiEncoderNetwork(new BertEncoder(state.Bert), state.Pooling), entries.Bytes("weights.bin"));
        return new BiEncoderModel(network, MiniLmAssets.CreateTokenizer(), state.MaxLength, CPU, state.Range, []);
    }

    /// <summary>
    /// The fine-tuned bi-encoder. In a bundle: <c>minilm-biencoder.json</c> (encoder shape, pooling, length limit, range),
    /// <c>weights.bin</c> (the fine-tuned state_dict) and MiniLM's vocabulary by checksum.
    /// </summary>
    private sealed class BiEncoderModel(BiEncoderNetwork network, BertWordPieceTokenizer tokenizer, int maxLength, Device device, ScoreRange range,
        IReadOnlyList<Curve> curves) : IExampleModel<SentencePairs>, IBundledExampleModel, IEmbeddingModel
    {
        public IReadOnlyList<Curve> Curves => curves;

        public string Format => BundleFormat;

        public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
        {
            var config = network.Config;
            entries["minilm-biencoder.json"] = BundleEntries.ToJson(new State(config, network.Pooling, maxLength, range));
            entries["weights.bin"] = TorchWeights.Save(network, () => new BiEncoderNetwork(new BertEncoder(config), network.Pooling));
            assets.Add(PretrainedAssets.Describe(PretrainedAssets.MiniLmVocabulary));
        }

        /// <summary>Unit-length pooled embeddings, as the cosine scores use them.</summary>
        public float[][] Embed(IReadOnlyList<string> texts)
        {
            network.eval();
            using var noGrad = no_grad();
            var result = new float[texts.Count][];
            foreach (var rows in MiniLmFineTuning.LengthBatches(texts.Count, i => texts[i].Length, 64))
            {
                using var scope = NewDisposeScope();
                var (ids, mask, types) = tokenizer.EncodeBatch(rows.Select(i => texts[i]).ToArray(), maxLength: maxLength).ToTensors(device);
                using var pooled = nn.functional.normalize(network.call(ids, mask, types), dim: 1).cpu();
                var flat = pooled.data<float>().ToArray();
                var width = (int)pooled.shape[1];
                for (var r = 0; r < rows.Length; r++) result[rows[r]] = flat[(r * width)..((r + 1) * width)];
            }
            return result;
        }

        public Predictions Predict(SentencePairs data)
        {
            network.eval();
            using var noGrad = no_grad();
            return Predictions.Regression(Cosines(network, tokenizer, data, maxLength, device, CancellationToken.None).Select(c => range.Denormalize(c)).ToArray());
        }

        public void Dispose() => network.Dispose();
    }
}
