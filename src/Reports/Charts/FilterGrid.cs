using System.Globalization;
using System.Net;
using System.Text;
using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>
/// Draws a convolution's filters as an enlarged grid of small images (plain SVG rectangles, one per weight). Each
/// filter is scaled on its own largest absolute weight: mid-grey is zero, white the most positive, black the most
/// negative; filters over three input channels are drawn in colour, each channel scaled the same way.
/// </summary>
internal static class FilterGrid
{
    private const int Columns = 8;
    private const int Gap = 8;
    private const int TitleHeight = 28;

    /// <summary>The grid as an inline SVG with a title and a text alternative; empty when there is nothing to draw.</summary>
    public static string Svg(string title, FilterSet filters)
    {
        var (channels, height, width) = (filters.Channels, filters.Height, filters.Width);
        var weights = (filters.Weights ?? []).Where(w => w is not null && w.Count == channels * height * width).ToList();
        if (weights.Count == 0 || height <= 0 || width <= 0 || channels <= 0) return "";
        var cell = Math.Clamp(48 / Math.Max(height, width), 4, 16);   // pixels per weight: a 3x3 filter is 48 px wide
        var columns = Math.Min(Columns, weights.Count);
        var rows = (weights.Count + columns - 1) / columns;
        var svgWidth = Math.Max(columns * (width * cell + Gap) + Gap, 260);
        var svgHeight = TitleHeight + rows * (height * cell + Gap) + Gap;
        var colour = channels == 3;
        var label = WebUtility.HtmlEncode(title);
        var description = $"{weights.Count} filters of {height}×{width} weights over {channels} input channel{(channels == 1 ? "" : "s")}, " +
            $"{columns} per row, in the network's order. Mid-grey is a zero weight, white the filter's most positive weight, black its most negative.";
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{svgWidth}\" height=\"{svgHeight}\" viewBox=\"0 0 {svgWidth} {svgHeight}\" role=\"img\" aria-label=\"{label}\">");
        svg.Append($"<title>{label}</title><desc>{WebUtility.HtmlEncode(description)}</desc>");
        svg.Append($"<rect width=\"{svgWidth}\" height=\"{svgHeight}\" fill=\"#ffffff\"/>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{Gap}\" y=\"19\" font-family=\"{ChartFont.CssFamilies}\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2328\">{label}</text>");
        for (var f = 0; f < weights.Count; f++)
        {
            var w = weights[f];
            var scale = w.Select(v => Math.Abs((double)v)).Where(double.IsFinite).DefaultIfEmpty(0).Max();
            var left = Gap + f % columns * (width * cell + Gap);
            var top = TitleHeight + f / columns * (height * cell + Gap);
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"filter\"><title>filter {f + 1}</title>");
            for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                {
                    var shades = Enumerable.Range(0, colour ? 3 : 1).Select(c => Shade(colour ? w[(c * height + y) * width + x] : Mean(w, channels, height, width, y, x), scale)).ToArray();
                    var fill = colour ? $"#{shades[0]:x2}{shades[1]:x2}{shades[2]:x2}" : $"#{shades[0]:x2}{shades[0]:x2}{shades[0]:x2}";
                    svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + x * cell}\" y=\"{top + y * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\"/>");
                }
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{width * cell}\" height=\"{height * cell}\" fill=\"none\" stroke=\"#8c959f\" stroke-width=\"1\"/></g>");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    // Grey filters over several channels (rare) show the mean over the channels.
    private static double Mean(List<float> w, int channels, int height, int width, int y, int x)
    {
        double sum = 0;
        for (var c = 0; c < channels; c++) sum += w[(c * height + y) * width + x];
        return sum / channels;
    }

    private static int Shade(double value, double scale) =>
        scale > 0 && double.IsFinite(value) ? (int)Math.Round(Math.Clamp(127.5 + 127.5 * value / scale, 0, 255)) : 128;
}
