using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Torch.Bert;
using MLWorkbench.Results;
using MLWorkbench.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLWorkbench.Similarity;

/// <summary>A cross-encoder: BERT over <c>[CLS] a [SEP] b [SEP]</c>, pooling, dropout, one linear output (a logit).</summary>
internal sealed class CrossEncoderNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>, IMiniLmNetwork
{
#pragma warning disable IDE1006 // Field names become parameter names.
    private readonly BertEncoder encoder;
    private readonly Dropout dropout;
    private readonly Linear head;
#pragma warning restore IDE1006
    private readonly SentencePooling _pooling;

    public CrossEncoderNetwork(BertEncoder bert, SentencePooling pooling) : base(nameof(CrossEncoderNetwork))
    {
        encoder = bert;
        dropout = nn.Dropout(bert.Config.Dropout);
        head = nn.Linear(bert.Config.HiddenSize, 1);
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
        var pooled = MiniLmFineTuning.Pool(encoder.call(inputIds, attentionMask, tokenTypeIds), attentionMask, _pooling);
        return head.call(dropout.call(pooled)).squeeze(1).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Fine-tunes all-MiniLM-L6-v2 as a cross-encoder: both sentences in one input (<c>[CLS] a [SEP] b [SEP]</c>, token types
/// 0 and 1), pooled, a linear head; binary cross-entropy of the logit against the gold score scaled to [0, 1] (as
/// sentence-transformers' CrossEncoder does with one label). Predicts min + sigmoid(logit) × (max − min).
/// </summary>
internal sealed class MiniLmCrossEncoderCandidate(MiniLmFineTuneOptions options) : ICandidate<SentencePairs>
{
    public string Name => "minilm-crossencoder";
    public ModelFamily Family => ModelFamily.Torch;
    public string? SkipReason => null;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } = options.ToHyperparameters("bce(logit, score01)");

    public Task<ITrainedModel<SentencePairs>> FitAsync(SentencePairs train, SentencePairs validation, TrainContext context, CancellationToken cancellationToken) =>
        MiniLmFineTuning.FitAsync(options, train, validation, context, bert => new CrossEncoderNetwork(bert, options.Pooling), "BCE (score 0-1)",
            (run, data, rows) =>
            {
                var batch = run.Tokenizer.EncodeBatch(rows.Select(i => data.First[i]).ToArray(), rows.Select(i => data.Second[i]).ToArray(), options.MaxLength);
                var (ids, mask, types) = batch.ToTensors(run.Device);
                var logits = MixedPrecision.Float(run.Network.call(ids, mask, types));
                return nn.functional.binary_cross_entropy_with_logits(logits, tensor(rows.Select(i => run.Targets[i]).ToArray(), device: run.Device));
            },
            (run, data) => Probabilities(run.Network, run.Tokenizer, data, options.MaxLength, run.Device, cancellationToken),
            (run, curves, plan) => new CrossEncoderModel(run.Network, run.Tokenizer, options.MaxLength, run.Device, train.Range, curves) { Plan = plan },
            cancellationToken);

    /// <summary>sigmoid(logit) of every pair (eval mode, no gradients expected from the caller).</summary>
    internal static float[] Probabilities(CrossEncoderNetwork network, BertWordPieceTokenizer tokenizer, SentencePairs data, int maxLength, Device device,
        CancellationToken cancellationToken)
    {
        var result = new float[data.Rows];
        foreach (var rows in MiniLmFineTuning.LengthBatches(data.Rows, i => data.First[i].Length + data.Second[i].Length, 64))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batch = tokenizer.EncodeBatch(rows.Select(i => data.First[i]).ToArray(), rows.Select(i => data.Second[i]).ToArray(), maxLength);
            var (ids, mask, types) = batch.ToTensors(device);
            var probabilities = MixedPrecision.Float(network.call(ids, mask, types)).sigmoid().cpu().data<float>().ToArray();
            for (var r = 0; r < rows.Length; r++) result[rows[r]] = probabilities[r];
        }
        return result;
    }

    internal const string BundleFormat = "minilm-crossencoder";

    /// <summary>Reads a model written by the bundle hook; it predicts on the CPU.</summary>
    internal static ITrainedModel<SentencePairs> Load(BundleEntries entries)
    {
        var (network, state) = MiniLmFineTuning.Load(entries, BundleFormat, (bert, pooling) => new CrossEncoderNetwork(bert, pooling));
        return new CrossEncoderModel(network, MiniLmAssets.CreateTokenizer(), state.MaxLength, CPU, state.Range, []);
    }

    /// <summary>The fine-tuned cross-encoder: min + sigmoid(logit) × (max − min).</summary>
    private sealed class CrossEncoderModel(CrossEncoderNetwork network, BertWordPieceTokenizer tokenizer, int maxLength, Device device, ScoreRange range,
        IReadOnlyList<Curve> curves) : MiniLmPairModel<CrossEncoderNetwork>(network, tokenizer, maxLength, device, range, curves, BundleFormat,
            (bert, pooling) => new CrossEncoderNetwork(bert, pooling))
    {
        protected override float[] Scores(SentencePairs data) => Probabilities(Network, Tokenizer, data, MaxLength, Device, CancellationToken.None);
    }
}
