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

    // Every <text> of an SVG with its translate(x y) and content.
    private static List<(double X, double Y, string Text, string Tag)> Texts(string svg) =>
        [.. Regex.Matches(svg, @"<text[^>]*transform=""translate\(([-0-9.]+) ([-0-9.]+)\)[^""]*""[^>]*>([^<]*)</text>")
            .Select(m => (double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[3].Value, m.Value))];

    private static (double Left, double Top, double Right, double Bottom) DataArea(string svg)
    {
        var r = Regex.Match(svg, @"<clipPath[^>]*>\s*<rect x=""([-0-9.]+)"" y=""([-0-9.]+)"" width=""([-0-9.]+)"" height=""([-0-9.]+)""");
        double V(int g) => double.Parse(r.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture);
        return (V(1), V(2), V(1) + V(3), V(2) + V(4));
    }

    [Fact]
    public void Confusion_matrix_turns_long_class_names_so_they_do_not_run_into_each_other()
    {
        string[] classes = [.. Enumerable.Range(0, 10).Select(i => $"long class name {i}")];
        var counts = new long[10, 10];
        for (var i = 0; i < 10; i++) counts[i, i] = 5;

        var svg = Charts.ConfusionMatrix("Confusion", classes, counts);

        // The predicted-class names along the bottom are turned 45° (a rotation matrix); the actual-class names stay level.
        Assert.Equal(10, Regex.Matches(svg, @"<text transform=""matrix\(0\.707107 -0\.707107 [^""]*""[^>]*>long class name \d</text>").Count);
        Assert.Equal(10, Regex.Matches(svg, @"<text transform=""translate\([^""]*""[^>]*>long class name \d</text>").Count);
        // Short names stay level.
        Assert.DoesNotContain("matrix(0.707107", Charts.ConfusionMatrix("Confusion", ["a", "b"], new long[,] { { 1, 0 }, { 0, 1 } }));
    }

    [Fact]
    public void Rate_axes_never_label_past_one_and_rounding_noise_prints_as_zero()
    {
        var roc = Charts.Roc("ROC", ["m"], [[0, 0.1, 1]], [[0, 0.9, 1]], [0.95]);
        var dots = Charts.Leaderboard("acc", "test accuracy", ["a", "b"], [1.0, 0.97], [1.0, 0.93], [1.0, 1.0], bounds: (0, 1));
        var bars = Charts.MetricVersusCost("acc", "time (s)", "test accuracy", ["a", "b", "c"], [1, 2, 3], [1.0, 0.98, 0.99], true, 0, bounds: (0, 1));
        static bool PastOne(string text) => double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 1.0000001;
        Assert.DoesNotContain(Texts(roc), t => PastOne(t.Text));
        Assert.DoesNotContain(Texts(dots), t => t.Y > DataArea(dots).Bottom && PastOne(t.Text)); // the accuracy axis
        Assert.DoesNotContain(Texts(bars), t => t.X < DataArea(bars).Left && PastOne(t.Text)); // the accuracy axis
        Assert.Contains(Texts(bars), t => t.X < DataArea(bars).Left && t.Text == "1");

        var importance = Charts.FeatureImportance("imp", "increase of rmse", ["x", "y", "z"], [0.0123, -1.701e-17, 0.00042], [0.001, 2e-18, 0.0001]);
        Assert.DoesNotContain("e-17", importance);
        Assert.DoesNotContain("e-18", importance);
        Assert.Contains(">0.0123</text>", importance); // every label to the precision of the largest
        Assert.Contains(">0.0004</text>", importance);
        Assert.Contains(">0</text>", importance);
    }

    [Fact]
    public void Point_labels_stay_inside_the_data_area()
    {
        // Long names on points in the corners, where a label beside its point would leave the plot.
        string[] names = ["a-very-long-candidate-name-top-left", "another-long-name-bottom-right", "middle", "a-long-name-bottom-left"];
        var svg = Charts.MetricVersusCost("t", "training time (s)", "test rmse", names, [0.1, 9, 4, 0.1], [10, 1, 5, 1], higherIsBetter: false);

        var area = DataArea(svg);
        foreach (var (x, y, text, _) in Texts(svg).Where(t => names.Contains(t.Text)))
        {
            Assert.InRange(x, area.Left, area.Right);
            Assert.InRange(x + ChartFont.Measure(text, 12), area.Left, area.Right + 0.5);
            Assert.InRange(y, area.Top, area.Bottom);
        }
    }

    [Fact]
    public void The_legend_goes_where_it_hides_no_curve()
    {
        // Train loss falls to the lower right; validation loss falls, then climbs back to the upper right.
        double[] train = [.. Enumerable.Range(0, 40).Select(i => 1.0 - 0.022 * i)];
        double[] validation = [.. Enumerable.Range(0, 40).Select(i => i < 20 ? 1.0 - 0.04 * i : 0.2 + 0.05 * (i - 20))];

        var svg = Charts.Curves("mlp: loss", "epoch", "loss", ["train loss", "validation loss"], [train, validation]);

        var legend = Texts(svg).Single(t => t.Text == "validation loss");
        Assert.True(legend.X < 280 && legend.Y > 170, $"the legend is at ({legend.X}, {legend.Y}), over the curves");
    }
}
