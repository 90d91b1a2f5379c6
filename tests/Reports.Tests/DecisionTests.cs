using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>The decision block at the top of every experiment: what to ship, why, by how much, at what cost, and warnings.</summary>
public class DecisionTests
{
    private static string Decision(string html, int experiment) =>
        Regex.Match(html, $@"<div class=""decision"" id=""experiment-{experiment}-decision"">.*?\n</div>", RegexOptions.Singleline).Value;

    private static string Field(string decision, string field) =>
        Sample.PlainText(Regex.Match(decision, $@"<dd data-field=""{field}"">(.*?)</dd>", RegexOptions.Singleline).Groups[1].Value);

    [Theory]
    [MemberData(nameof(ConsistencyTests.Files), MemberType = typeof(ConsistencyTests))]
    public void Every_experiment_opens_with_a_decision_naming_the_summary_model_and_every_field(string file)
    {
        var results = ResultsFile.Read(Path.Combine(AppContext.BaseDirectory, "Data", file));
        var html = HtmlReport.Render(results);
        var summary = Regex.Match(html, @"<section class=""summary"".*?</section>", RegexOptions.Singleline).Value;

        for (var i = 1; i <= results.Experiments.Count; i++)
        {
            var decision = Decision(html, i);
            Assert.NotEmpty(decision);
            // Right under the heading line, before the leaderboard.
            var section = html.IndexOf($"id=\"experiment-{i}\"", StringComparison.Ordinal);
            Assert.True(html.IndexOf(decision, StringComparison.Ordinal) < html.IndexOf("<h3 id=\"experiment-" + i + "-leaderboard\"", section, StringComparison.Ordinal));
            var item = Regex.Match(summary, $@"<li><a href=""#experiment-{i}"">.*?</li>", RegexOptions.Singleline).Value;
            Assert.Equal(Sample.PlainText(Regex.Match(item, @"<strong class=""shipped"">(.*?)</strong>").Groups[1].Value),
                Sample.PlainText(Regex.Match(decision, @"<strong class=""decision-model"">(.*?)</strong>").Groups[1].Value));
            foreach (var field in new[] { "rule", "test", "runner-up", "baseline", "cost" })
                Assert.NotEmpty(Field(decision, field));
            Assert.Contains(results.Experiments[i - 1].PrimaryMetric, Field(decision, "rule"));
        }
    }

    [Fact]
    public void Decision_gives_the_rule_the_tie_the_test_interval_and_margins_with_intervals_in_the_metric_units()
    {
        var wine = Decision(Samples.ClassificationHtml, 2);

        Assert.StartsWith("Highest validation accuracy (higher is better) of the 6 candidates that succeeded, on the 36 validation rows: 1.000.", Field(wine, "rule"));
        // The file is schema 1.1: the runner then kept the first of equal scores, and the page says so.
        Assert.Contains("Tied with sdca (1.000), lbfgs (1.000) (the selected lightgbm: 1.000): equal scores go to the candidate that ran first", Field(wine, "rule"));
        Assert.Matches(@"^0\.9722, 95% CI \[0\.9\d+, 1\.000\] \(percentile bootstrap over 36 test rows\)$", Field(wine, "test"));
        // lightgbm 0.9722 against sdca 1.000 on the same 36 rows: one row apart, far from told apart.
        Assert.Matches(@"^against sdca on these 36 test rows: −0\.02778 test accuracy \(95% CI \[−0\.08333, 0\]\); Holm-adjusted p = 1: cannot be told apart$", Field(wine, "runner-up"));
        Assert.Matches(@"^against the baseline: majority class \(class_1\), test accuracy 0\.3889 \[[0-9.]+, [0-9.]+\]: \+0\.5833 test accuracy \(95% CI \[[0-9.]+, [0-9.]+\]\); Holm-adjusted p < 0\.001: better", Field(wine, "baseline"));
        Assert.Equal("model size not measured; 18.90 µs per row to predict; trained in 287 ms", Field(wine, "cost"));
        Assert.DoesNotContain("data-field=\"warning\"", wine);

        // Regression: the mean predictor, differences signed so that negative rmse is a win.
        var ames = Decision(Samples.AutoMLHtml, 1);
        Assert.Matches(@"^against the baseline: mean, test rmse 69509 \[\d+, \d+\]: −48715 test rmse", Field(ames, "baseline"));
        Assert.Contains("against lightgbm #13 on these 5 folds: ", Field(ames, "runner-up"));
    }

    [Fact]
    public void Validation_far_from_the_test_interval_and_a_rising_validation_loss_are_flagged()
    {
        var results = Samples.Classification();
        var e = results.Experiments[0];
        var mlp = e.Trials.Single(t => t.Candidate == "mlp");
        e.Best = "mlp";
        mlp.Metrics.Validation["accuracy"] = 0.9991; // above lightgbm's, and far above mlp's test interval
        var loss = mlp.Curves.Single(c => c.Name == "validation loss").Values;
        for (var i = 60; i < loss.Count; i++) loss[i] = 0.10 + (i - 60) * 0.0136; // 0.10 at epoch 61, 1.174 at epoch 140

        var decision = Decision(HtmlReport.Render(results), 1);

        var warnings = Regex.Matches(decision, @"<p class=""warning"" data-field=""warning"">(.*?)</p>").Select(m => Sample.PlainText(m.Groups[1].Value)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Matches(@"^Validation and test disagree beyond their intervals: validation accuracy 0\.9991, test accuracy 0\.9474 \(95% CI \[0\.9\d+, 0\.9\d+\]\)\. The validation score of the best of several models is optimistic", warnings[0]);
        Assert.True(Regex.IsMatch(warnings[1], @"^Over-fitting: the validation loss of mlp fell to 0\.\d+ at epoch \d+ and rose to 1\.174 by epoch 140\."), warnings[1]);
        Assert.Null(Reports.Statistics.Warnings.OverFitting(Samples.Classification().Experiments[0].Trials.Single(t => t.Candidate == "mlp")));
    }

    [Fact]
    public void The_baseline_comes_from_the_training_labels_when_the_results_record_them()
    {
        var results = ResultsFile.Read(Path.Combine(AppContext.BaseDirectory, "Data", "classification-results.json"));
        var wine = results.Experiments.Single(e => e.Task == "multiclass");
        var number = results.Experiments.IndexOf(wine) + 1;
        var before = Field(Decision(HtmlReport.Render(results), number), "baseline");
        Assert.Contains("most frequent class of the test labels", before);

        // Training rows where the last class is the most frequent.
        wine.Baseline = new TrainingBaseline { Rows = 142, ClassCounts = [10, 12, 120] };
        var after = Field(Decision(HtmlReport.Render(results), number), "baseline");

        Assert.Contains($"predicts the most frequent class of the training labels, {wine.ClassNames![2]}, for every row", after);
        Assert.NotEqual(before, after);
    }
}
