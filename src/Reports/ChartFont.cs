using ScottPlot;
using SkiaSharp;

namespace MLWorkbench.Reports;

/// <summary>
/// The one font charts are measured and drawn with: Liberation Sans, embedded in this program.
/// Without it SkiaSharp finds no font on a machine that has none installed and ScottPlot silently
/// drops every title and label. Liberation Sans has Arial's metrics, so the SVG can name Arial as
/// its fallback and text keeps its measured width in browsers that lack Liberation Sans.
/// </summary>
internal static class ChartFont
{
    /// <summary>The family name charts request.</summary>
    public const string Family = "Liberation Sans";

    /// <summary>The CSS font list written into the SVG: the measured font, then metric-compatible ones.</summary>
    public const string CssFamilies = "'Liberation Sans', Arial, Helvetica, sans-serif";

    private static readonly Lazy<SKData> Data = new(() =>
    {
        using var stream = typeof(ChartFont).Assembly.GetManifestResourceStream("LiberationSans-Regular.ttf")
            ?? throw new InvalidOperationException("The embedded chart font is missing from the program.");
        return SKData.Create(stream);
    });

    private static readonly Lazy<SKTypeface> Face = new(() => SKTypeface.FromData(Data.Value));

    private static readonly object Gate = new();
    private static bool registered;

    /// <summary>Makes ScottPlot resolve <see cref="Family"/> (and its default font) to the embedded font.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (registered) return;
            Fonts.FontResolvers.Insert(0, new EmbeddedResolver());
            Fonts.Default = Family;
            Fonts.Sans = Family;
            registered = true;
        }
    }

    /// <summary>Width in pixels of <paramref name="text"/> at <paramref name="size"/> pixels.</summary>
    public static float Measure(string text, float size)
    {
        using var font = new SKFont(Face.Value, size);
        return font.MeasureText(text);
    }

    // Only the regular face is embedded; charts ask for no bold or italic text (see Charts.NewPlot).
    private sealed class EmbeddedResolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            fontName == Family ? SKTypeface.FromData(Data.Value) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == Family ? SKTypeface.FromData(Data.Value) : null;
    }
}
