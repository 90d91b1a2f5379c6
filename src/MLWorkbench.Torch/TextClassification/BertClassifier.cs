using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Torch.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

[assembly: TorchNetwork<MLWorkbench.TextClassification.BertClassifier>]

namespace MLWorkbench.TextClassification;

/// <summary>
/// The pretrained MiniLM <see cref="BertEncoder"/> (weights from the packaged ONNX model) with a classification head on
/// its mean-pooled output, for end-to-end fine-tuning. <c>forward(ids, mask)</c> as the other text networks.
/// </summary>
internal sealed class BertClassifier : nn.Module<Tensor, Tensor, Tensor>, INetwork<TextNetworkSpec>, IRegisteredNetwork
{
    private readonly BertEncoder encoder;
    private readonly Dropout dropout;
    private readonly Linear head;

    public BertClassifier(BertEncoder pretrained, int classes, double dropoutRate) : base(nameof(BertClassifier))
    {
        Spec = new TextNetworkSpec("bert", pretrained.Config.VocabularySize, classes, pretrained.Config.HiddenSize, Dropout: dropoutRate, Bert: pretrained.Config);
        encoder = pretrained;
        dropout = nn.Dropout(dropoutRate);
        head = nn.Linear(pretrained.Config.HiddenSize, classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public TextNetworkSpec Spec { get; }

    /// <summary>Its registration: <c>bert</c>, the encoder its spec describes plus the head.</summary>
    public static IEnumerable<INetworkArchitecture> Architectures =>
    [
        new NetworkArchitecture<TextNetworkSpec, nn.Module<Tensor, Tensor, Tensor>>("bert",
            s => s.Bert is null ? 0 : s.Bert.MinimumParameters() + (double)s.Bert.HiddenSize * s.Classes,
            s => s.Bert is not null ? new BertClassifier(new BertEncoder(s.Bert), s.Classes, s.Dropout) : throw new InvalidDataException("unknown or incomplete text network 'bert'")),
    ];

    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var attention = mask.to_type(ScalarType.Int64);
        var hidden = encoder.call(ids, attention, zeros_like(ids));
        return head.call(dropout.call(BertEncoder.MeanPool(hidden, attention))).MoveToOuterDisposeScope();
    }
}
