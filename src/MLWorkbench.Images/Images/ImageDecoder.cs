using MLWorkbench.Bundles;
using SkiaSharp;

namespace MLWorkbench.Images;

/// <summary>
/// Reads image files with SkiaSharp 2.88 (the one ML.NET ImageAnalytics is built on): checks the header before
/// decoding, decodes fully to catch truncated files, and resamples to a square of floats in [0, 1].
/// </summary>
internal sealed class ImageDecoder : IImageDecoding
{
    /// <summary>The one decoder (it holds nothing).</summary>
    public static ImageDecoder Instance { get; } = new();

    /// <summary>Checks one file: present, non-empty, a PNG/JPEG/BMP, not larger than the limit, decodable.</summary>
    public ImageInspection Inspect(string path, double maxMegapixels)
    {
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists) return Bad("file not found");
            if (file.Length == 0) return Bad("empty file (0 bytes)");
            using var codec = SKCodec.Create(path);
            if (codec is null) return Bad("not a readable image (unknown format or damaged header)");
            if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Bmp)) return Bad($"unsupported image format {codec.EncodedFormat} (PNG, JPEG or BMP expected)");
            var (width, height) = (codec.Info.Width, codec.Info.Height);
            if (width <= 0 || height <= 0) return Bad("image has no pixels");
            var megapixels = (double)width * height / 1e6;
            if (megapixels > maxMegapixels) return Bad($"image is {width}x{height} ({megapixels:0.#} megapixels), over the limit of {maxMegapixels:0.#}");
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            using var bitmap = new SKBitmap(info);
            var result = codec.GetPixels(info, bitmap.GetPixels());
            if (result != SKCodecResult.Success) return Bad($"image data is damaged ({result})");
            return new ImageInspection(width, height, IsGray(bitmap.GetPixelSpan()), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return Bad($"cannot be read: {e.Message}");
        }

        static ImageInspection Bad(string reason) => new(0, 0, false, reason);
    }

    private static bool IsGray(ReadOnlySpan<byte> rgba)
    {
        for (var i = 0; i < rgba.Length; i += 4)
            if (rgba[i] != rgba[i + 1] || rgba[i] != rgba[i + 2]) return false;
        return true;
    }

    /// <summary>
    /// Decodes <paramref name="path"/> and resamples it to <paramref name="size"/> x <paramref name="size"/>, channel-major
    /// (C x H x W) floats in [0, 1]; one channel is the mean of red, green and blue.
    /// </summary>
    public float[] Decode(string path, int size, int channels)
    {
        using var original = SKBitmap.Decode(path) ?? throw new InvalidDataException($"Image '{path}' could not be decoded.");
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var converted = original.Copy(SKColorType.Rgba8888) ?? throw new InvalidDataException($"Image '{path}' could not be converted.");
        using var resized = converted.Resize(info, SKFilterQuality.High) ?? throw new InvalidDataException($"Image '{path}' could not be resized.");
        var pixels = resized.GetPixelSpan();
        var plane = size * size;
        var output = new float[channels * plane];
        for (var p = 0; p < plane; p++)
        {
            var r = pixels[4 * p] / 255f;
            var g = pixels[4 * p + 1] / 255f;
            var b = pixels[4 * p + 2] / 255f;
            if (channels == 1) output[p] = (r + g + b) / 3f;
            else
            {
                output[p] = r;
                output[plane + p] = g;
                output[2 * plane + p] = b;
            }
        }
        return output;
    }

    /// <inheritdoc/>
    public void WriteProbe(string path)
    {
        using var bitmap = new SKBitmap(16, 16);
        bitmap.Erase(new SKColor(128, 128, 128));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
