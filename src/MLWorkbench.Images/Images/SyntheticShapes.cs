using SkiaSharp;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>
/// A seeded generator of a small image classification set for fast tests and demos: a circle, square or
/// triangle of random size, position and colour on a noisy background, one class folder per shape.
/// </summary>
internal static class SyntheticShapes
{
    /// <summary>The class names, which are also the folder names.</summary>
    public static IReadOnlyList<string> Classes { get; } = ["circle", "square", "triangle"];

    /// <summary>
    /// Writes <paramref name="perClass"/> PNG images of <paramref name="size"/> x <paramref name="size"/> pixels per shape
    /// into <c>folder/&lt;shape&gt;/NNNN.png</c> and returns <paramref name="folder"/>.
    /// </summary>
    public static string Write(string folder, int perClass, int seed, int size = 32, bool grayscale = false)
    {
        if (perClass < 1 || size < 8) throw new WorkbenchInputException($"Synthetic shapes need at least 1 image per class and 8 pixels per side (got {perClass} and {size}).");
        var random = new Random(seed);
        foreach (var shape in Classes) Directory.CreateDirectory(Path.Combine(folder, shape));
        for (var i = 0; i < perClass; i++)
            for (var k = 0; k < Classes.Count; k++)
            {
                using var bitmap = Draw(k, size, grayscale, random);
                using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(folder, Classes[k], $"{i:D4}.png"), data.ToArray());
            }
        return folder;
    }

    private static SKBitmap Draw(int shape, int size, bool grayscale, Random random)
    {
        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        byte Noise(int baseValue) => (byte)Math.Clamp(baseValue + random.Next(-40, 41), 0, 255);
        var background = random.Next(0, 90);
        for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
            {
                var v = Noise(background);
                bitmap.SetPixel(x, y, grayscale ? new SKColor(v, v, v) : new SKColor(v, Noise(background), Noise(background)));
            }
        var light = (byte)random.Next(170, 256);
        var color = grayscale ? new SKColor(light, light, light) : new SKColor(light, (byte)random.Next(120, 256), (byte)random.Next(120, 256));
        using var canvas = new SKCanvas(bitmap);
        using var paint = new SKPaint { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };
        var r = size * (0.22f + 0.12f * (float)random.NextDouble());
        var cx = r + (float)random.NextDouble() * (size - 2 * r);
        var cy = r + (float)random.NextDouble() * (size - 2 * r);
        switch (shape)
        {
            case 0:
                canvas.DrawCircle(cx, cy, r, paint);
                break;
            case 1:
                canvas.DrawRect(cx - r * 0.85f, cy - r * 0.85f, 1.7f * r, 1.7f * r, paint);
                break;
            default:
                using (var path = new SKPath())
                {
                    path.MoveTo(cx, cy - r);
                    path.LineTo(cx + r * 0.95f, cy + r * 0.8f);
                    path.LineTo(cx - r * 0.95f, cy + r * 0.8f);
                    path.Close();
                    canvas.DrawPath(path, paint);
                }
                break;
        }
        canvas.Flush();
        return bitmap;
    }
}
