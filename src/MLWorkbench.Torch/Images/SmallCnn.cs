using MLWorkbench.Models.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

[assembly: TorchNetwork<MLWorkbench.Images.SmallCnn>]

namespace MLWorkbench.Images;

/// <summary>How <see cref="SmallCnn"/> turns its last feature map into one vector for the head.</summary>
internal static class CnnPooling
{
    /// <summary>The mean over positions (the only pooling before issue 15; bundles without the setting use it).</summary>
    public const string Average = "average";

    /// <summary>
    /// The mean and the maximum over positions, side by side (twice the head's inputs). The maximum answers "is this part
    /// anywhere", which a mean dilutes when the object covers a small part of a busy image.
    /// </summary>
    public const string AverageMax = "average+max";

    /// <summary>The pooling named <paramref name="name"/> (null: <see cref="Average"/>).</summary>
    /// <exception cref="InvalidDataException">The name is neither.</exception>
    public static string Parse(string? name) => name switch
    {
        null or Average => Average,
        AverageMax => AverageMax,
        _ => throw new InvalidDataException($"CNN pooling '{name}' is not known (known: {Average}, {AverageMax})"),
    };
}

/// <summary>
/// A small convolutional network: <c>blocks</c> blocks of (3x3 conv, batch norm, ReLU) x 2 and 2x2 max pooling,
/// channel count doubling per block, then global pooling (<see cref="CnnPooling"/>), dropout and a linear head.
/// </summary>
internal sealed class SmallCnn : nn.Module<Tensor, Tensor>, INetwork<ImageNetworkSpec>, IRegisteredNetwork
{
    private readonly Sequential features;
    private readonly Dropout dropout;
    private readonly Linear head;
    private readonly bool _withMax;

    public SmallCnn(int channels, int classes, int width = 32, int blocks = 3, double dropoutRate = 0.3, string? pooling = null) : base(nameof(SmallCnn))
    {
        pooling = CnnPooling.Parse(pooling);
        _withMax = pooling == CnnPooling.AverageMax;
        // An average-pooled network keeps Pooling null in its spec, so its bundle reads as one written before the setting.
        Spec = new ImageNetworkSpec("cnn", channels, classes, Width: width, Depth: blocks, Dropout: dropoutRate, Pooling: _withMax ? pooling : null);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var input = channels;
        for (var b = 0; b < blocks; b++)
        {
            var output = width << b;
            layers.Add(($"conv{b}a", nn.Conv2d(input, output, 3, padding: 1, bias: false)));
            layers.Add(($"bn{b}a", nn.BatchNorm2d(output)));
            layers.Add(($"relu{b}a", nn.ReLU()));
            layers.Add(($"conv{b}b", nn.Conv2d(output, output, 3, padding: 1, bias: false)));
            layers.Add(($"bn{b}b", nn.BatchNorm2d(output)));
            layers.Add(($"relu{b}b", nn.ReLU()));
            layers.Add(($"pool{b}", nn.MaxPool2d(2)));
            input = output;
        }
        features = nn.Sequential(layers);
        dropout = nn.Dropout(dropoutRate);
        head = nn.Linear(_withMax ? 2 * input : input, classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public ImageNetworkSpec Spec { get; }

    /// <summary>Its registration: <c>cnn</c>, whose dominant layers are the 3x3 convolutions and the head.</summary>
    public static IEnumerable<INetworkArchitecture> Architectures =>
    [
        new NetworkArchitecture<ImageNetworkSpec, nn.Module<Tensor, Tensor>>("cnn", MinimumParameters,
            s => new SmallCnn(s.Channels, s.Classes, s.Width, s.Depth, s.Dropout, s.Pooling)),
    ];

    private static double MinimumParameters(ImageNetworkSpec spec)
    {
        double total = 0, input = spec.Channels;
        for (var b = 0; b < spec.Depth && total < double.MaxValue; b++)
        {
            var output = spec.Width * Math.Pow(2, b);
            total += 9 * (input * output + output * output);
            input = output;
        }
        return total + input * spec.Classes * (spec.Pooling == CnnPooling.AverageMax ? 2 : 1);
    }

    /// <summary>The first convolution's weights, [out, in, 3, 3].</summary>
    public Tensor FirstFilters => ((Conv2d)features.children().First()).weight!;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var map = features.call(x);
        var pooled = _withMax ? cat([map.mean([2, 3]), map.amax([2, 3])], 1) : map.mean([2, 3]);
        return head.call(dropout.call(pooled)).MoveToOuterDisposeScope();
    }
}
