using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Compression;
using MLWorkbench.Data;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Results;

namespace MLWorkbench.Experiments;

/// <summary>
/// What a comparison over examples records for the report beyond scores, while the trained models still exist:
/// a convolutional network's first-layer filters, by candidate name.
/// </summary>
internal sealed class TaskObservations
{
    /// <summary>First-layer filters, by candidate name.</summary>
    public ConcurrentDictionary<string, FilterSet> Filters { get; } = new(StringComparer.Ordinal);

    /// <summary>Copies what was observed into the trials of <paramref name="result"/>.</summary>
    public void CopyTo(ExperimentResult result)
    {
        foreach (var trial in result.Trials)
        {
            if (trial.Status != TrialStatus.Succeeded) continue;
            if (Filters.TryGetValue(trial.Candidate, out var filters)) trial.Filters = filters;
        }
    }
}

/// <summary>
/// Passes a candidate through unchanged and returns its model unchanged (so that checks on the model's type still
/// see the real model), noting what <see cref="TaskObservations"/> keeps right after training.
/// </summary>
internal sealed class ObservedCandidate<TData>(ICandidate<TData> inner, TaskObservations sink)
    : ICandidate<TData> where TData : class, ILabelledData
{
    public string Name => inner.Name;
    public ModelFamily Family => inner.Family;
    public IReadOnlyDictionary<string, object?> Hyperparameters => inner.Hyperparameters;
    public string? SkipReason => inner.SkipReason;

    public async Task<ITrainedModel<TData>> FitAsync(TData train, TData validation, TrainContext context, CancellationToken cancellationToken)
    {
        var model = await inner.FitAsync(train, validation, context, cancellationToken).ConfigureAwait(false);
        if (model is IFirstLayerFilters { FirstLayerFilters: { } filters }) sink.Filters[Name] = TaskViews.ToFilterSet(filters);
        return model;
    }
}

/// <summary>Helpers that turn test examples into what the results file records for the report.</summary>
internal static class TaskViews
{
    /// <summary>Texts in the results are cut to this many characters.</summary>
    public const int MaxTextLength = 200;

    /// <summary>At most this many misclassified images are recorded.</summary>
    public const int MaxImages = 24;

    /// <summary>At most this many texts or sentence pairs are recorded.</summary>
    public const int MaxTexts = 10;

    /// <summary>Thumbnails are at most this many pixels wide and high (smaller images keep their size).</summary>
    public const int MaxThumbnail = 32;

    /// <summary><paramref name="text"/>, cut to <see cref="MaxTextLength"/> characters with an ellipsis.</summary>
    public static string Cut(string text) =>
        text.Length <= MaxTextLength ? text : string.Concat(text.AsSpan(0, char.IsHighSurrogate(text[MaxTextLength - 2]) ? MaxTextLength - 2 : MaxTextLength - 1), "…");

    /// <summary>The trial the comparison selected (by validation), when it succeeded and has test predictions.</summary>
    public static TrialResult? Selected(ExperimentResult result) =>
        result.Trials.FirstOrDefault(t => t.Candidate == result.Best && t.Status == TrialStatus.Succeeded && t.TestPredictions?.Count == result.TestLabels?.Count);

    /// <summary>
    /// Test rows the selected classifier got wrong, most confident first (row order when confidences are missing),
    /// at most <paramref name="count"/>.
    /// </summary>
    public static int[] Mistakes(ExperimentResult result, int count)
    {
        if (Selected(result) is not { TestPredictions: { } predicted } trial || result.TestLabels is not { } labels) return [];
        var wrong = Enumerable.Range(0, labels.Count).Where(i => predicted[i] != labels[i]);
        if (trial.TestConfidences is { } confidence && confidence.Count == labels.Count)
            wrong = wrong.OrderByDescending(i => confidence[i]).ThenBy(i => i);
        return [.. wrong.Take(count)];
    }

    /// <summary>The filters as the results file records them.</summary>
    public static FilterSet ToFilterSet(ConvFilters filters) => new()
    {
        Layer = "first convolution", Channels = filters.InputChannels, Height = filters.Height, Width = filters.Width,
        Weights = [.. filters.Filters.Select(f => f.ToList())],
    };

    /// <summary>
    /// Small PNG thumbnails (as data: URIs) of the images at <paramref name="rows"/> of <paramref name="images"/>: the
    /// images' typical size, at most <see cref="MaxThumbnail"/> pixels.
    /// </summary>
    public static List<TestItem> Thumbnails(ImageExamples images, IReadOnlyList<int> rows)
    {
        if (rows.Count == 0) return [];
        var size = Math.Clamp(images.TypicalSize, 4, MaxThumbnail);
        var pixels = images.Subset(rows).Pixels(size);
        return [.. rows.Select((row, i) => new TestItem
        {
            Row = row,
            Source = Path.Combine(Path.GetFileName(Path.GetDirectoryName(images.Paths[row])) ?? "", Path.GetFileName(images.Paths[row])),
            Image = "data:image/png;base64," + Convert.ToBase64String(Png(pixels[i], size, images.Channels)),
        })];
    }

    /// <summary>
    /// An 8-bit PNG (grayscale or RGB) of a <paramref name="size"/> x <paramref name="size"/> image given as
    /// channel-major floats in [0, 1]. Written by hand (zlib from the base library) because the library's imaging
    /// package is only for decoding.
    /// </summary>
    internal static byte[] Png(float[] pixels, int size, int channels)
    {
        var raw = new byte[size * (size * channels + 1)];
        for (var y = 0; y < size; y++)
        {
            var line = y * (size * channels + 1); // each line starts with filter type 0 (none)
            for (var x = 0; x < size; x++)
                for (var c = 0; c < channels; c++)
                    raw[line + 1 + x * channels + c] = (byte)Math.Clamp(MathF.Round(pixels[(c * size + y) * size + x] * 255f), 0, 255);
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(raw);

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, size);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), size);
        header[8] = 8;                              // bit depth
        header[9] = (byte)(channels == 1 ? 0 : 2);  // grayscale or truecolour
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        var typed = new byte[4 + data.Length];
        for (var i = 0; i < 4; i++) typed[i] = (byte)type[i];
        data.CopyTo(typed, 4);
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        png.Write(number);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
