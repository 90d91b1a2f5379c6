using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace MLWorkbench.Reports.Tests;

public class ChartsTests
{
    [Fact]
    public void Leaderboard_is_standalone_svg_with_labels_values_and_a_description()
    {
        var svg = Charts.Leaderboard("Test rmse by candidate", "test rmse (lower is better)", ["b", "a & c"], [1.5, 2.25]);

        var root = XElement.Parse(svg); // well-formed XML, usable as a file of its own
        Assert.Equal("{http://www.w3.org/2000/svg}svg", root.Name.ToString());
        Assert.Contains(">Test rmse by candidate</text>", svg);
        Assert.Contains(">test rmse (lower is better)</text>", svg);
        Assert.Contains(">a &amp; c</text>", svg);
        Assert.Contains(">2.250</text>", svg);
        Assert.Contains("<desc>test rmse (lower is better) per candidate, in ranking order: b 1.500; a &amp; c 2.250.</desc>", svg);
        Assert.Matches(@"viewBox=""0 0 \d+ \d+""", svg);
    }

    [Fact]
    public void Charts_are_drawn_with_the_embedded_font_and_name_metric_compatible_fallbacks()
    {
        var svg = Charts.Curves("loss", "epoch", "loss", ["train loss", "validation loss"], [[3, 2, 1.5], [3.2, 2.4, 2.0]]);

        Assert.Contains("font-family=\"'Liberation Sans', Arial, Helvetica, sans-serif\"", svg);
        Assert.DoesNotContain("font-weight", svg); // only the regular face is embedded
        Assert.Contains(">train loss</text>", svg);
        Assert.Contains(">validation loss</text>", svg);
        // Position lists are plain SVG number lists (Skia leaves a trailing comma).
        Assert.DoesNotMatch(@" x=""[^""]*,", svg);
    }

    [Fact]
    public void Same_chart_twice_gives_the_same_svg_and_different_charts_different_ids()
    {
        var a1 = Charts.Curves("a", "step", "mae", ["mae"], [[3, 2, 1]]);
        var a2 = Charts.Curves("a", "step", "mae", ["mae"], [[3, 2, 1]]);
        var b = Charts.Curves("b", "step", "mae", ["mae"], [[3, 2, 1]]);

        static HashSet<string> Ids(string svg) => [.. Regex.Matches(svg, @"\sid=""([^""]+)""").Select(m => m.Groups[1].Value)];
        Assert.Equal(Ids(a1), Ids(a2));
        Assert.Empty(Ids(a1).Intersect(Ids(b)));
    }

    [Fact]
    public void Scatter_uses_a_log_axis_for_times_spanning_decades_and_labels_every_point()
    {
        string[] names = ["fast", "slow", "middle", "twin"];
        var svg = Charts.MetricVersusCost("t", "training time (s)", "test rmse", names, [0.05, 40, 1, 1.05], [3, 2, 2.5, 2.51], higherIsBetter: false);

        Assert.Contains(">training time (s, log scale)</text>", svg);
        Assert.All(names, n => Assert.Contains($">{n}</text>", svg));
    }

    [Fact]
    public void Mismatched_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Charts.Leaderboard("t", "m", ["a", "b"], [1]));
    }
}
