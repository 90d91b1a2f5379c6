using System.Collections.Concurrent;
using MLWorkbench.Data;
using MLWorkbench.Models;

namespace MLWorkbench.Images;

/// <summary>
/// Labelled images: file paths, class indices and class names, with a cache of decoded pixels per size that
/// subsets (train, validation, test) share with the data set they came from.
/// </summary>
internal sealed class ImageExamples : ILabelledData
{
    private readonly ImageCache _cache;

    internal ImageExamples(IReadOnlyList<string> paths, float[] labels, IReadOnlyList<string> classNames, int channels, int typicalSize, ImageCache cache)
    {
        Paths = paths;
        Labels = labels;
        ClassNames = classNames;
        Channels = channels;
        TypicalSize = typicalSize;
        _cache = cache;
    }

    /// <summary>Full path of every image.</summary>
    public IReadOnlyList<string> Paths { get; }

    /// <inheritdoc />
    public int Rows => Paths.Count;

    /// <inheritdoc />
    public float[] Labels { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>1 when every image of the data set is grayscale, 3 otherwise.</summary>
    public int Channels { get; }

    /// <summary>The median of the images' larger side in pixels (what default model input sizes start from).</summary>
    public int TypicalSize { get; }

    /// <summary>The examples at <paramref name="indices"/>, sharing this set's pixel cache.</summary>
    public ImageExamples Subset(IReadOnlyList<int> indices) =>
        new(indices.Select(i => Paths[i]).ToArray(), indices.Select(i => Labels[i]).ToArray(), ClassNames, Channels, TypicalSize, _cache);

    /// <summary>
    /// These examples followed by <paramref name="other"/>'s (the same classes and channels; e.g. training and validation
    /// images for the final refit), sharing this set's pixel cache.
    /// </summary>
    /// <exception cref="ArgumentException">The two sets name different classes or have different channels.</exception>
    public ImageExamples Concat(ImageExamples other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!ClassNames.SequenceEqual(other.ClassNames) || Channels != other.Channels)
            throw new ArgumentException("Both sets must name the same classes in the same order and have the same channels.", nameof(other));
        return new([.. Paths, .. other.Paths], [.. Labels, .. other.Labels], ClassNames, Channels, TypicalSize, _cache);
    }

    /// <summary>
    /// Every image decoded and resampled to <paramref name="size"/> x <paramref name="size"/> with <see cref="Channels"/>
    /// channels, channel-major floats in [0, 1]; decoded once per size and path, then cached.
    /// </summary>
    public float[][] Pixels(int size)
    {
        var result = new float[Rows][];
        var decoder = ImageDecoding.Get();
        Parallel.For(0, Rows, i => result[i] = _cache.Pixels.GetOrAdd((Paths[i], size, Channels), key => decoder.Decode(key.Path, key.Size, key.Channels)));
        return result;
    }

    /// <summary>Features that an expensive featurizer (e.g. ResNet18) computed, per featurizer name and path.</summary>
    internal ConcurrentDictionary<(string Featurizer, string Path), float[]> Features => _cache.Features;
}

/// <summary>Decoded pixels and computed features shared by a data set and its subsets.</summary>
internal sealed class ImageCache
{
    public ConcurrentDictionary<(string Path, int Size, int Channels), float[]> Pixels { get; } = new();
    public ConcurrentDictionary<(string Featurizer, string Path), float[]> Features { get; } = new();
}
