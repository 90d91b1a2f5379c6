using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>The formulas the library scores with and the report recomputes with, checked by hand-worked values.</summary>
public sealed class MetricFormulasTests
{
    [Fact]
    public void Tied_values_share_their_mean_rank()
    {
        Assert.Equal([1.0, 2.5, 2.5, 4.0], MetricFormulas.Ranks([10.0, 20.0, 20.0, 30.0]));
        Assert.Equal([3.0, 1.0, 2.0], MetricFormulas.Ranks([5.0, -1.0, 0.0]));
    }

    [Fact]
    public void Spearman_is_one_for_any_increasing_relation_and_pearson_is_not()
    {
        double[] x = [1, 2, 3, 4, 5], y = [1, 4, 9, 16, 1000];
        Assert.Equal(1.0, MetricFormulas.Spearman(x, y), 12);
        Assert.True(MetricFormulas.Pearson(x, y) < 0.8);
        Assert.Equal(-1.0, MetricFormulas.Pearson(x, [.. x.Select(v => -2 * v)]), 12);
        Assert.True(double.IsNaN(MetricFormulas.Pearson(x, [3, 3, 3, 3, 3])));
    }

    [Fact]
    public void Area_under_roc_counts_ties_as_half()
    {
        // Positives score 0.9 and 0.5, negatives 0.5 and 0.1: three of four pairs won, one tied.
        Assert.Equal(0.875, MetricFormulas.AreaUnderRoc([(0.9, true), (0.5, true), (0.5, false), (0.1, false)]), 12);
        Assert.True(double.IsNaN(MetricFormulas.AreaUnderRoc([(0.9, true), (0.5, true)])));
    }

    [Fact]
    public void F1_log_loss_and_r_squared_follow_their_definitions()
    {
        Assert.Equal(0.0, MetricFormulas.F1(0, 0, 0));
        Assert.Equal(2.0 * 3 / (4 + 5), MetricFormulas.F1(3, 4, 5), 12);
        Assert.Equal(-Math.Log(1e-15), MetricFormulas.LogLoss(0), 9);
        Assert.Equal(0.5, MetricFormulas.RSquared(1, 2), 12);
        Assert.True(double.IsNaN(MetricFormulas.RSquared(1, 0)));
    }
}
