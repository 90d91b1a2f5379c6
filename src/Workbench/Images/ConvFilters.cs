namespace MLWorkbench.Images;

/// <summary>A convolution's filters as plain arrays, for drawing: <see cref="Filters"/>[o] holds in x height x width values.</summary>
/// <param name="InputChannels">Channels each filter reads.</param>
/// <param name="Height">Filter height.</param>
/// <param name="Width">Filter width.</param>
/// <param name="Filters">One flattened (channel, row, column) array per output channel.</param>
internal sealed record ConvFilters(int InputChannels, int Height, int Width, IReadOnlyList<float[]> Filters);

/// <summary>An image model that shows its first convolution's filters in the report (the TorchSharp CNN and ResNet18).</summary>
internal interface IFirstLayerFilters
{
    /// <summary>The first convolution's learned filters; null when the model has none (the Vision Transformer).</summary>
    ConvFilters? FirstLayerFilters { get; }
}
