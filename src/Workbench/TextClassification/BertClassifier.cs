using MLWorkbench.Models.Torch.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLWorkbench.TextClassification;

/// <summary>
/// The pretrained MiniLM <see cref="BertEncoder"/> (weights from the packaged ONNX model) with a classification head on
/// its mean-pooled output, for end-to-end fine-tuning. <c>forward(ids, mask)</c> as the other text networks.
/// </summary>
internal sealed class BertClassifier : nn.Module<Tensor, Tensor, Tensor>, ITextNetwork
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

    public override Tensor forward(Tensor ids, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var attention = mask.to_type(ScalarType.Int64);
        var hidden = encoder.call(ids, attention, zeros_like(ids));
        return head.call(dropout.call(BertEncoder.MeanPool(hidden, attention))).MoveToOuterDisposeScope();
    }
}
