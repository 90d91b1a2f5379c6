using MLWorkbench.Reports.Statistics;
using Xunit;

namespace MLWorkbench.Reports.Tests;

public class StatisticsTests
{
    // For 4 degrees of freedom Student's t has a closed form: with x = t / √(t² + 4),
    // P(|T| ≥ t) = 1 − 1.5·x + 0.5·x³.
    private static double TwoSidedP4(double t)
    {
        var x = Math.Abs(t) / Math.Sqrt(t * t + 4);
        return 1 - 1.5 * x + 0.5 * x * x * x;
    }

    [Theory]
    [InlineData(2.776445, 4, 0.05)]
    [InlineData(12.7062, 1, 0.05)]
    [InlineData(1.959964, 1e7, 0.05)]
    [InlineData(0, 3, 1)]
    [InlineData(-2.776445, 4, 0.05)]
    public void Student_t_p_values_match_tables(double t, double df, double p) =>
        Assert.Equal(p, StudentT.TwoSidedP(t, df), 4);

    [Fact]
    public void Student_t_agrees_with_the_closed_form_and_quantile_inverts_the_cdf()
    {
        foreach (var t in new[] { 0.3, 1.0, 1.59364, 2.5, 6.0 })
            Assert.Equal(TwoSidedP4(t), StudentT.TwoSidedP(t, 4), 10);
        Assert.Equal(2.776445, StudentT.Quantile(0.975, 4), 1e-5);
        Assert.Equal(12.7062, StudentT.Quantile(0.975, 1), 1e-3);
        Assert.Equal(2.262157, StudentT.Quantile(0.975, 9), 1e-5);
        Assert.Equal(-2.776445, StudentT.Quantile(0.025, 4), 1e-5);
    }

    [Fact]
    public void Corrected_resampled_t_test_matches_a_hand_computation()
    {
        double[] a = [0.80, 0.82, 0.78, 0.85, 0.81];
        double[] b = [0.78, 0.80, 0.79, 0.81, 0.78];
        // d = [0.02, 0.02, -0.01, 0.04, 0.03]: mean 0.02, sample variance 0.0014 / 4 = 0.00035.
        // Corrected variance factor 1/k + 1/(k-1) = 1/5 + 1/4 = 0.45; t = 0.02 / √(0.45 · 0.00035) = 1.593638.
        var result = PairedTests.CorrectedResampledTTest(a, b);

        Assert.Equal(0.02, result.MeanDifference, 12);
        Assert.Equal(0.02 / Math.Sqrt(0.45 * 0.00035), result.T, 9);
        Assert.Equal(1.593638, result.T, 5);
        Assert.Equal(4, result.DegreesOfFreedom);
        Assert.Equal(TwoSidedP4(result.T), result.PValue, 9);
        Assert.Equal(0.18624, result.PValue, 4);
        // The uncorrected paired t-test (variance / k) would call this nearly significant (t = 2.39, p = 0.075).
        var plain = 0.02 / Math.Sqrt(0.00035 / 5);
        Assert.True(result.PValue > TwoSidedP4(plain) + 0.1);
        // The interval is mean ± t(0.975, 4) · corrected standard error.
        var half = 2.776445 * Math.Sqrt(0.45 * 0.00035);
        Assert.Equal(0.02 - half, result.Low, 5);
        Assert.Equal(0.02 + half, result.High, 5);
    }

    [Fact]
    public void Corrected_t_test_edge_cases()
    {
        Assert.Equal(1, PairedTests.CorrectedResampledTTest([0.5, 0.6, 0.7], [0.5, 0.6, 0.7]).PValue);
        Assert.Equal(0, PairedTests.CorrectedResampledTTest([0.75, 0.5, 0.25], [0.5, 0.25, 0]).PValue);
        Assert.InRange(PairedTests.CorrectedResampledTTest([0.6, 0.7, 0.8], [0.5, 0.6, 0.7]).PValue, 0, 1e-12);
        // A custom test/train ratio (e.g. repeated 80/20 holdouts: 0.25) enters the variance factor.
        var r = PairedTests.CorrectedResampledTTest([0.80, 0.82, 0.78, 0.85, 0.81], [0.78, 0.80, 0.79, 0.81, 0.78], testTrainRatio: 0.25);
        Assert.Equal(0.02 / Math.Sqrt((0.2 + 0.25) * 0.00035), r.T, 9);
        Assert.Throws<ArgumentException>(() => PairedTests.CorrectedResampledTTest([1.0], [2.0]));
        Assert.Throws<ArgumentException>(() => PairedTests.CorrectedResampledTTest([1.0, 2], [2.0]));
    }

    [Fact]
    public void Fold_interval_is_mean_plus_minus_t_sd_over_root_k()
    {
        var interval = Bootstrap.FoldInterval([1.0, 2, 3, 4, 5])!;
        // mean 3, sd √2.5 = 1.581139, t(0.975, 4) = 2.776445: half width 2.776445 · 1.581139 / √5 = 1.963243.
        Assert.Equal(3 - 1.963243, interval.Low, 5);
        Assert.Equal(3 + 1.963243, interval.High, 5);
        Assert.Equal(IntervalMethod.Folds, interval.Method);
        Assert.Equal(5, interval.Units);
        Assert.Null(Bootstrap.FoldInterval([1.0]));
    }

    [Fact]
    public void Bootstrap_interval_contains_the_estimate_narrows_with_more_rows_and_repeats()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 800).Select(_ => random.NextDouble() < 0.8 ? 1.0 : 0.0).ToArray();
        (double Low, double High, double Point) Interval(int n)
        {
            double Mean(int[] rows) => rows.Average(i => values[i]);
            var ci = Bootstrap.PercentileInterval(n, Mean)!.Value;
            return (ci.Low, ci.High, Mean([.. Enumerable.Range(0, n)]));
        }

        var small = Interval(50);
        var large = Interval(800);

        Assert.InRange(small.Point, small.Low, small.High);
        Assert.InRange(large.Point, large.Low, large.High);
        Assert.True(large.High - large.Low < (small.High - small.Low) / 2, $"{large} should be much narrower than {small}");
        // About ±1.96·√(0.8·0.2/800) = ±0.028 for 800 rows.
        Assert.InRange(large.High - large.Low, 0.04, 0.07);
        Assert.Equal(Bootstrap.PercentileInterval(50, r => r.Average(i => values[i])), Bootstrap.PercentileInterval(50, r => r.Average(i => values[i])));
    }

    [Fact]
    public void Paired_bootstrap_tells_a_clearly_better_model_apart_and_not_identical_ones()
    {
        var random = new Random(5);
        var labels = Enumerable.Range(0, 200).Select(_ => (double)random.Next(2)).ToList();
        var good = labels.Select(y => random.NextDouble() < 0.95 ? y : 1 - y).ToList();
        var poor = labels.Select(y => random.NextDouble() < 0.70 ? y : 1 - y).ToList();
        var accuracy = (List<double> p) => RowMetrics.For("accuracy", labels, p, null, 2)!;

        var better = PairedTests.PairedBootstrap(labels.Count, accuracy(good), accuracy(poor));
        var same = PairedTests.PairedBootstrap(labels.Count, accuracy(good), accuracy([.. good]));
        var reversed = PairedTests.PairedBootstrap(labels.Count, accuracy(poor), accuracy(good));

        Assert.True(better.PValue < 0.01, $"p = {better.PValue}");
        Assert.True(better.Difference > 0.15 && better.Low > 0, $"{better}");
        Assert.Equal(PairedMethod.Bootstrap, better.Method);
        Assert.Equal(200, better.Units);
        Assert.Equal(1, same.PValue);
        Assert.Equal(0, same.Difference);
        Assert.True(reversed.PValue < 0.01 && reversed.Difference < 0);
    }

    [Fact]
    public void Row_metrics_recompute_the_recorded_test_metrics()
    {
        foreach (var experiment in Samples.Classification().Experiments)
        {
            var classes = experiment.ClassNames!.Count;
            var all = Enumerable.Range(0, experiment.TestLabels!.Count).ToArray();
            foreach (var trial in experiment.Trials)
                foreach (var (metric, value) in trial.Metrics.Test)
                {
                    var f = RowMetrics.For(metric, experiment.TestLabels, trial.TestPredictions, trial.TestScores, classes);
                    if (metric == "logLoss" && trial.TestScores is null)
                    {
                        Assert.Null(f); // multiclass: no probabilities recorded
                        continue;
                    }
                    Assert.NotNull(f);
                    Assert.Equal(value, f(all), 9);
                }
        }
        foreach (var experiment in Samples.AutoML().Experiments)
        {
            var final = experiment.AutoML!.Final!;
            var all = Enumerable.Range(0, experiment.TestLabels!.Count).ToArray();
            foreach (var (metric, value) in final.Metrics.Test)
                Assert.Equal(value, RowMetrics.For(metric, experiment.TestLabels, final.TestPredictions, null, 0)!(all), 6);
        }
        // Sentence similarity: Spearman on ranks (ties share their mean rank), Pearson, squared error.
        double[] gold = [1, 2, 3, 4, 5], predicted = [1.5, 1.5, 3.5, 5, 4];
        int[] rows = [0, 1, 2, 3, 4];
        Assert.Equal(0.8720816, RowMetrics.For("spearman", gold, predicted, null, 0)!(rows), 6); // ranks 1.5 1.5 3 5 4
        Assert.Equal(0.8630442, RowMetrics.For("pearson", gold, predicted, null, 0)!(rows), 6);
        Assert.Equal(0.55, RowMetrics.For("mse", gold, predicted, null, 0)!(rows), 12);
        Assert.Null(RowMetrics.For("accuracy", [1, 0], [1], null, 2)); // wrong length
        Assert.Null(RowMetrics.For("brier", [1, 0], [1, 0], null, 2)); // unknown metric
    }

    [Fact]
    public void Roc_and_precision_recall_curves()
    {
        double[] labels = [0, 0, 1, 1, 0, 1];
        double[] perfect = [0.1, 0.2, 0.8, 0.9, 0.3, 0.7];
        var roc = ScoreCurves.Roc(labels, perfect)!.Value;
        var pr = ScoreCurves.PrecisionRecall(labels, perfect)!.Value;
        Assert.Equal(1, roc.Area, 12);
        Assert.Equal(1, pr.AveragePrecision, 12);
        Assert.Equal(0.5, pr.Prevalence);
        Assert.Equal(1, pr.Recall[^1]);

        // One positive ranked below one negative: 8 of 9 positive-negative pairs in order.
        double[] mixed = [0.1, 0.2, 0.8, 0.9, 0.75, 0.7];
        Assert.Equal(8.0 / 9, ScoreCurves.Roc(labels, mixed)!.Value.Area, 12);
        Assert.Equal(8.0 / 9, RowMetrics.For("auc", labels, null, mixed, 2)!([0, 1, 2, 3, 4, 5]), 12);
        // AP: recall 1/3 at precision 1, 2/3 at 1, then 3/3 at 3/4.
        Assert.Equal((1 + 1 + 0.75) / 3, ScoreCurves.PrecisionRecall(labels, mixed)!.Value.AveragePrecision, 12);
        Assert.Null(ScoreCurves.Roc([1, 1], [0.2, 0.3]));
    }

    [Fact]
    public void Pareto_front_keeps_the_points_nothing_beats_on_both()
    {
        // cost, loss: (1, 10) (2, 8) (3, 9) (4, 5) (5, 5) (0.5, 12)
        double[] cost = [1, 2, 3, 4, 5, 0.5];
        double[] loss = [10, 8, 9, 5, 5, 12];
        Assert.Equal([5, 0, 1, 3], ParetoFront.Indices(cost, loss, higherIsBetter: false));
        Assert.Equal([5, 0, 1, 3], ParetoFront.Indices(cost, [0.80, 0.85, 0.84, 0.90, 0.90, 0.70], higherIsBetter: true));
        Assert.Equal([0], ParetoFront.Indices([1, double.NaN, 2], [5, 9, 4], higherIsBetter: true));
    }

    [Fact]
    public void Holm_multiplies_the_ith_smallest_p_by_the_tests_left_keeps_order_and_skips_missing()
    {
        // Sorted: 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 -> raised to 0.06 (never below an earlier one).
        var adjusted = Holm.Adjust([0.04, 0.01, double.NaN, 0.03]);
        Assert.Equal(0.06, adjusted[0], 12);
        Assert.Equal(0.03, adjusted[1], 12);
        Assert.True(double.IsNaN(adjusted[2]));
        Assert.Equal(0.06, adjusted[3], 12);
        Assert.Equal([1.0, 1.0], Holm.Adjust([0.6, 0.9]));
    }

    [Fact]
    public void Validation_and_test_disagree_only_beyond_an_interval_with_some_width()
    {
        var test = new Interval(0.92, 0.975, IntervalMethod.Bootstrap, 114);
        Assert.True(Warnings.Disagree(0.9846, null, 0.9474, test)); // the CV mean outside the test interval
        Assert.False(Warnings.Disagree(0.96, null, 0.9474, test));
        Assert.True(Warnings.Disagree(0.95, new Interval(0.94, 0.96, IntervalMethod.Folds, 5), 0.90, null));
        // A perfect test score's zero-width interval is no evidence of anything.
        Assert.False(Warnings.Disagree(0.97, null, 1.0, new Interval(1, 1, IntervalMethod.Bootstrap, 36)));
    }
}
