using MLWorkbench.Models.Torch;
using MLWorkbench.Models.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

[assembly: TorchNetwork<MLWorkbench.Images.ResNet18Network>]

namespace MLWorkbench.Images;

/// <summary>
/// The ResNet "18" (He et al. 2015, v1: 7x7 stem, stages of basic blocks, 1x1 projection shortcuts) that ships in
/// Microsoft.ML.DnnImageFeaturizer.ResNet18, written with TorchSharp so that the pretrained network shipped in Microsoft.ML.DnnImageFeaturizer.ResNet18 can be fine-tuned end
/// to end. Measured from the file's graph: 22 convolutions, the last stage has three blocks instead of two
/// (2, 2, 2, 3 blocks of 64, 128, 256, 512 channels). The shipped ONNX file was exported from CNTK: its weights are anonymous (<c>Parameter91</c>, …), its
/// convolutions have no bias, each is followed by batch norm (scale, bias, running mean, running variance), and its
/// stride-2 layers pad asymmetrically (one pixel before, none after; the stem three before, two after). This network
/// reproduces that padding exactly and takes the weights in the order the graph applies them (<see cref="LoadFromOnnx"/>),
/// checking every shape. Its input is what the ML.NET featurizer feeds the model: BGR pixel values 0–255 minus the
/// mean image; <see cref="ResNet18Network.forward"/> takes what the image training loop feeds every network (pixels in
/// [0, 1] standardised per channel with the training set's mean and spread, 1 or 3 channels) and undoes that
/// standardisation, repeats a gray channel, and converts to the featurizer's input itself (with the mean image
/// averaged per channel, since inputs here are not 224 x 224).
/// </summary>
internal sealed class ResNet18Network : nn.Module<Tensor, Tensor>, INetwork<ImageNetworkSpec>, IRegisteredNetwork
{
    private readonly List<(Conv2d Conv, BatchNorm2d Norm)> _layers = [];
    private readonly Conv2d stem;
    private readonly BatchNorm2d stemNorm;
    private readonly ModuleList<BasicBlock> blocks;
    private readonly Dropout dropout;
    private readonly Linear head;
    private readonly Tensor channel_mean;
    private readonly Tensor input_mean;
    private readonly Tensor input_std;

    /// <param name="classes">Outputs of the new classification head.</param>
    /// <param name="dropoutRate">Dropout before the head.</param>
    /// <param name="channels">Input channels: 1 (gray, repeated) or 3 (RGB).</param>
    /// <param name="inputMean">The per-channel mean the input was standardised with (zeros: not standardised).</param>
    /// <param name="inputStd">The per-channel spread the input was standardised with (ones: not standardised).</param>
    public ResNet18Network(int classes, double dropoutRate = 0, int channels = 3, float[]? inputMean = null, float[]? inputStd = null) : base(nameof(ResNet18Network))
    {
        Spec = new ImageNetworkSpec("resnet18", channels, classes, Width: 64, Depth: 22, Dropout: dropoutRate);
        stem = nn.Conv2d(3, 64, 7, stride: 2, bias: false);
        stemNorm = nn.BatchNorm2d(64, eps: 1e-5);
        _layers.Add((stem, stemNorm));
        var list = new List<BasicBlock>();
        var input = 64;
        foreach (var (width, stride) in new[] { (64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1) })
        {
            var block = new BasicBlock(input, width, stride);
            // The exported graph applies a block's projection shortcut before its main path.
            if (block.Shortcut is { } shortcut) _layers.Add(shortcut);
            _layers.Add((block.Conv1, block.Norm1));
            _layers.Add((block.Conv2, block.Norm2));
            list.Add(block);
            input = width;
        }
        blocks = nn.ModuleList(list.ToArray());
        dropout = nn.Dropout(dropoutRate);
        head = nn.Linear(512, classes);
        // Buffers, so that a saved state_dict carries them.
        channel_mean = zeros(1, 3, 1, 1);
        input_mean = tensor(inputMean ?? new float[channels]).view(1, channels, 1, 1);
        input_std = tensor(inputStd ?? Enumerable.Repeat(1f, channels).ToArray()).view(1, channels, 1, 1);
        RegisterComponents();
    }

    /// <inheritdoc />
    public ImageNetworkSpec Spec { get; }

    /// <summary>Its registration: <c>resnet18</c> (about 11 million parameters in its body, then the head).</summary>
    public static IEnumerable<INetworkArchitecture> Architectures =>
    [
        new NetworkArchitecture<ImageNetworkSpec, nn.Module<Tensor, Tensor>>("resnet18", s => 11_000_000 + 512.0 * s.Classes,
            s => new ResNet18Network(s.Classes, s.Dropout, s.Channels)),
    ];

    /// <summary>The stem's 7x7 filters, [64, 3, 7, 7] (BGR input order).</summary>
    public Tensor FirstFilters => stem.weight!;

    /// <summary>Parameters of the pretrained body (everything but the new head), for a smaller learning rate.</summary>
    public IEnumerable<Parameter> BodyParameters() => parameters().Except(head.parameters());

    /// <summary>Parameters of the new head.</summary>
    public IEnumerable<Parameter> HeadParameters() => head.parameters();

    /// <summary>
    /// Copies the shipped ONNX file's weights into this network: the 22 convolution + batch-norm pairs in the order
    /// the graph applies them. The new head keeps its random initialisation.
    /// </summary>
    /// <exception cref="InvalidDataException">The file's graph is not the ResNet-18 layout this network expects.</exception>
    public void LoadFromOnnx(ReadOnlyMemory<byte> resnet, ReadOnlyMemory<byte> preprocess)
    {
        var graph = OnnxGraph.Read(resnet);
        var convolutions = graph.Nodes.Where(n => n.OperatorType == "Conv").ToList();
        var norms = graph.Nodes.Where(n => n.OperatorType == "BatchNormalization").ToList();
        if (convolutions.Count != _layers.Count || norms.Count != _layers.Count)
            throw new InvalidDataException($"expected {_layers.Count} convolutions and batch norms, found {convolutions.Count} and {norms.Count}");
        using var _ = no_grad();
        for (var i = 0; i < _layers.Count; i++)
        {
            var (conv, norm) = _layers[i];
            // Each batch norm reads the convolution just before it.
            if (norms[i].Inputs[0] != convolutions[i].Outputs[0])
                throw new InvalidDataException($"batch norm {norms[i].Name} does not follow convolution {convolutions[i].Name}");
            Copy(graph, convolutions[i].Inputs[1], conv.weight!);
            Copy(graph, norms[i].Inputs[1], norm.weight!);
            Copy(graph, norms[i].Inputs[2], norm.bias!);
            Copy(graph, norms[i].Inputs[3], norm.running_mean!);
            Copy(graph, norms[i].Inputs[4], norm.running_var!);
        }
        var mean = OnnxGraph.Read(preprocess).Initializers.Values.Single(t => t.Dimensions.SequenceEqual([1L, 3, 224, 224])).ToFloats();
        var perChannel = Enumerable.Range(0, 3).Select(c => (float)mean.Skip(c * 224 * 224).Take(224 * 224).Average()).ToArray();
        channel_mean.copy_(tensor(perChannel).view(1, 3, 1, 1));
    }

    private static void Copy(OnnxGraph graph, string name, Tensor target)
    {
        if (!graph.Initializers.TryGetValue(name, out var source))
            throw new InvalidDataException($"initializer {name} is missing");
        if (!source.Dimensions.SequenceEqual(target.shape))
            throw new InvalidDataException($"initializer {name} has shape [{string.Join(", ", source.Dimensions)}], expected [{string.Join(", ", target.shape)}]");
        target.copy_(tensor(source.ToFloats()).view(target.shape));
    }

    /// <summary>The 512 pooled features before the head, from BGR 0–255 input with the mean already subtracted.</summary>
    public Tensor Features(Tensor bgrCentred)
    {
        using var scope = NewDisposeScope();
        // CNTK "same" padding for stride 2: three before and two after for the 7x7 stem, one before for 3x3 pooling.
        var x = stem.call(nn.functional.pad(bgrCentred, [3, 2, 3, 2]));
        x = nn.functional.relu(stemNorm.call(x));
        x = nn.functional.max_pool2d(nn.functional.pad(x, [1, 0, 1, 0], value: double.NegativeInfinity), 3, 2);
        foreach (var block in blocks) x = block.call(x);
        return x.mean([2, 3]).MoveToOuterDisposeScope();
    }

    /// <summary>Class logits from standardised images, [N, C, H, W] (see the constructor).</summary>
    public override Tensor forward(Tensor standardised)
    {
        using var scope = NewDisposeScope();
        var rgb = standardised * input_std + input_mean;
        if (rgb.shape[1] == 1) rgb = rgb.expand(-1, 3, -1, -1);
        var bgr = rgb.flip(1) * 255f - channel_mean;
        return head.call(dropout.call(Features(bgr))).MoveToOuterDisposeScope();
    }

    /// <summary>Two 3x3 convolutions with batch norm and an identity or projection shortcut.</summary>
    private sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private readonly int _stride;
        public readonly Conv2d Conv1;
        public readonly BatchNorm2d Norm1;
        public readonly Conv2d Conv2;
        public readonly BatchNorm2d Norm2;
        private readonly Conv2d? projection;
        private readonly BatchNorm2d? projectionNorm;

        public BasicBlock(int input, int output, int stride) : base(nameof(BasicBlock))
        {
            _stride = stride;
            Conv1 = nn.Conv2d(input, output, 3, stride: stride, padding: stride == 1 ? 1 : 0, bias: false);
            Norm1 = nn.BatchNorm2d(output, eps: 1e-5);
            Conv2 = nn.Conv2d(output, output, 3, padding: 1, bias: false);
            Norm2 = nn.BatchNorm2d(output, eps: 1e-5);
            if (stride != 1 || input != output)
            {
                projection = nn.Conv2d(input, output, 1, stride: stride, bias: false);
                projectionNorm = nn.BatchNorm2d(output, eps: 1e-5);
            }
            RegisterComponents();
        }

        public (Conv2d, BatchNorm2d)? Shortcut => projection is null ? null : (projection, projectionNorm!);

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            // Stride-2 3x3 convolutions pad one pixel before and none after, as the exported graph does.
            var main = Conv1.call(_stride == 1 ? x : nn.functional.pad(x, [1, 0, 1, 0]));
            main = Norm2.call(Conv2.call(nn.functional.relu(Norm1.call(main))));
            var shortcut = projection is null ? x : projectionNorm!.call(projection.call(x));
            return nn.functional.relu(main + shortcut).MoveToOuterDisposeScope();
        }
    }
}
