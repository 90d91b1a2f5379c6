using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>The pages of the recorded classification and AutoML results: charts, numbers, verdicts.</summary>
public class ReportContentTests
{
    private static List<string> Titles(string html) =>
        [.. Sample.Svgs(html).Select(s => WebUtilityDecode(Regex.Match(s, "<title>([^<]+)</title>").Groups[1].Value))];

    private static string WebUtilityDecode(string text) => System.Net.WebUtility.HtmlDecode(text);

    private static string Section(string html, int experiment) =>
        Regex.Match(html, $@"<section class=""experiment"" id=""experiment-{experiment}"".*?\n</section>", RegexOptions.Singleline).Value;

    private static string Svg(string html, string title) =>
        Assert.Single(Sample.Svgs(html), s => s.Contains($"<title>{title}</title>"));

    [Fact]
    public void Classification_page_has_leaderboard_pareto_roc_pr_confusion_and_importance_charts()
    {
        var titles = Titles(Samples.ClassificationHtml);

        Assert.Equal(2, titles.Count(t => t == "Test accuracy by candidate, in validation accuracy order"));
        Assert.Equal(2, titles.Count(t => t == "Test accuracy against training time"));
        Assert.Equal(2, titles.Count(t => t == "Test accuracy against prediction latency"));
        Assert.Single(titles, "ROC curves on the test rows"); // binary only
        Assert.Single(titles, "Precision-recall curves on the test rows");
        Assert.Equal(2, titles.Count(t => t == "Confusion matrix: lightgbm")); // the selected model of both experiments
        Assert.Single(titles, "Permutation feature importance");
        Assert.Contains("mlp: train loss and validation loss", titles);

        var binary = Section(Samples.ClassificationHtml, 1);
        var pareto = Svg(binary, "Test accuracy against training time");
        Assert.Contains("Pareto front (no other candidate is both cheaper and better): lbfgs, sdca.", pareto);
        Assert.Contains("<desc>ROC curves on the test rows: lightgbm AUC 0.9993; mlp AUC 0.9974; lbfgs AUC 0.9990; sdca AUC 0.9997;", Svg(binary, "ROC curves on the test rows"));
        Assert.Contains(">sdca (AUC 0.9997)</text>", Svg(binary, "ROC curves on the test rows"));
        Assert.Contains(">guessing (0.3684)</text>", Svg(binary, "Precision-recall curves on the test rows"));
        // Whiskers for the 95% intervals, and the caption says what they are.
        Assert.Contains("(95% CI 0.9737 to 1.000)", Svg(binary, "Test accuracy by candidate, in validation accuracy order"));
        Assert.Contains("Whiskers: 95% confidence interval (percentile bootstrap over the 114 test rows).", binary);
    }

    [Fact]
    public void Confusion_matrices_write_the_counts_of_the_selected_model_in_their_cells()
    {
        var results = Samples.Classification();
        for (var i = 0; i < 2; i++)
        {
            var e = results.Experiments[i];
            var selected = e.Trials.Single(t => t.Candidate == e.Best);
            var k = e.ClassNames!.Count;
            var svg = Svg(Section(Samples.ClassificationHtml, i + 1), $"Confusion matrix: {e.Best}");
            var texts = Regex.Matches(svg, @">(\d+)</text>").Select(m => m.Groups[1].Value).ToList();
            for (var actual = 0; actual < k; actual++)
                for (var predicted = 0; predicted < k; predicted++)
                {
                    var count = e.TestLabels!.Where((y, r) => (int)y == actual && (int)selected.TestPredictions![r] == predicted).Count();
                    Assert.Contains(count.ToString(CultureInfo.InvariantCulture), texts);
                }
            Assert.All(e.ClassNames, c => Assert.Contains($">{c}</text>", svg));
            Assert.Contains(">actual class</text>", svg);
            Assert.Contains(">predicted class</text>", svg);
        }
        // Breast cancer, lightgbm: 69 benign right, 3 benign called malignant, no malignant missed.
        Assert.Contains("<desc>Confusion matrix of 114 test rows, 111 right. Right per actual class: benign 69 of 72; malignant 42 of 42.",
            Samples.ClassificationHtml);
    }

    [Fact]
    public void AutoML_page_has_predicted_vs_actual_residuals_best_so_far_pareto_and_importance_charts()
    {
        var titles = Titles(Samples.AutoMLHtml);

        Assert.Equal(2, titles.Count(t => t == "Predicted against actual: lightgbm (final)"));
        Assert.Equal(2, titles.Count(t => t == "Residuals: lightgbm (final)"));
        Assert.Equal(2, titles.Count(t => t == "Permutation feature importance"));
        Assert.Equal(2, titles.Count(t => t == "Validation rmse by trial"));
        Assert.Equal(2, titles.Count(t => t == "Validation rmse against training time"));
        // Two tuners on the same data: one best-so-far chart with a line each, in the comparison section.
        var bestSoFar = Svg(Samples.AutoMLHtml, "Best validation rmse so far");
        Assert.Contains(">tpe</text>", bestSoFar);
        Assert.Contains(">random</text>", bestSoFar);
        Assert.Contains(">seconds since the search started</text>", bestSoFar);
        var compared = Regex.Match(Samples.AutoMLHtml, @"<section class=""searches"".*?</section>", RegexOptions.Singleline).Value;
        Assert.Contains(bestSoFar, compared);
        Assert.Contains("in <a href=\"#searches-1\">AutoML searches compared</a>", Section(Samples.AutoMLHtml, 1));
        Assert.Contains("Pareto front (no other trial", Svg(Section(Samples.AutoMLHtml, 1), "Validation rmse against training time").Replace("candidate", "trial"));
        Assert.Contains(">actual Sale_Price</text>", Svg(Section(Samples.AutoMLHtml, 1), "Predicted against actual: lightgbm (final)"));
    }

    [Fact]
    public void A_lone_search_draws_its_best_so_far_chart_in_its_own_section()
    {
        var results = Samples.AutoML();
        results.Experiments.RemoveAt(1);

        var html = HtmlReport.Render(results);

        Assert.DoesNotContain("AutoML searches compared", html);
        Assert.Contains("<title>Best validation rmse so far</title>", Section(html, 1));
    }

    [Fact]
    public void Every_chart_of_the_new_pages_has_a_title_a_description_and_a_caption_and_ids_are_unique()
    {
        foreach (var html in new[] { Samples.ClassificationHtml, Samples.AutoMLHtml })
        {
            var svgs = Sample.Svgs(html);
            foreach (var svg in svgs)
            {
                Assert.Matches(@"^<svg [^>]*role=""img""", svg);
                var title = Regex.Match(svg, "<title>([^<]+)</title>").Groups[1].Value;
                Assert.Contains($">{title}</text>", svg);
                Assert.Matches("<desc>[^<]{20,}</desc>", svg);
            }
            Assert.Equal(svgs.Count, Regex.Matches(html, @"</svg>\s*<figcaption>[^<]{10,}</figcaption>").Count);
            var ids = Regex.Matches(html, @"\sid=""([^""]+)""").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            var withoutXmlns = html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            Assert.DoesNotContain("http:", withoutXmlns);
            Assert.DoesNotContain("https:", withoutXmlns);
            Assert.DoesNotContain("//", withoutXmlns);
            Assert.All(Regex.Matches(html, @"href=""([^""]*)""").Select(m => m.Groups[1].Value), Sample.AssertNothingFetched);
            Assert.Single(Regex.Matches(html, "<script"));
        }
    }

    [Fact]
    public void Binary_leaderboard_shows_the_numbers_of_the_file_and_intervals_around_them()
    {
        var rows = Sample.LeaderboardRows(Section(Samples.ClassificationHtml, 1));
        var trials = Samples.Json(Samples.ClassificationPath).GetProperty("experiments")[0].GetProperty("trials").EnumerateArray()
            .ToDictionary(t => t.GetProperty("candidate").GetString()!);
        string Name((string, Dictionary<string, string> Cells) row) => row.Cells["candidate"].Replace("selected", "").Trim();

        // By validation accuracy, the selection score; ties (lightgbm and mlp, sdca and fastforest) in run order.
        Assert.Equal(["lightgbm", "mlp", "lbfgs", "sdca", "fastforest", "fasttree", "gam"], rows.Select(Name));
        foreach (var row in rows)
        {
            var trial = trials[Name(row)];
            var test = trial.GetProperty("metrics").GetProperty("test");
            Assert.Equal(Text(trial.GetProperty("metrics").GetProperty("validation").GetProperty("accuracy")), row.Cells["num primary validation"]);
            Assert.Equal(Text(test.GetProperty("accuracy")), row.Cells["num primary test"]);
            foreach (var metric in new[] { "macroF1", "logLoss", "f1", "auc" })
                Assert.Equal(Text(test.GetProperty(metric)), row.Cells["metric:" + metric]);
            Assert.Equal(Text(trial.GetProperty("trainSeconds")), row.Cells["num seconds"]);
            Assert.Equal(Text(trial.GetProperty("predictMicrosecondsPerRow")), row.Cells["num predict"]);
            var ci = Regex.Match(row.Cells["num primary ci test-ci"], @"^\[([0-9.]+), ([0-9.]+)\]$");
            Assert.True(ci.Success, row.Cells["num primary ci test-ci"]);
            Assert.InRange(test.GetProperty("accuracy").GetDouble(), double.Parse(ci.Groups[1].Value, CultureInfo.InvariantCulture) - 1e-4,
                double.Parse(ci.Groups[2].Value, CultureInfo.InvariantCulture) + 1e-4);
        }
        Assert.Equal("0.9737", rows[0].Cells["num primary test"]);
        Assert.Contains("selected", rows[0].Cells["candidate"]); // lightgbm, best by validation
        Assert.Equal("2=", rows[1].Cells["num rank"]); // mlp ties with it
        Assert.Contains("<table class=\"leaderboard sortable\">", Samples.ClassificationHtml);
        Assert.Contains("<th scope=\"col\" class=\"num primary\" data-sort=\"num\" data-first=\"descending\">Test accuracy</th>", Samples.ClassificationHtml);
    }

    [Fact]
    public void AutoML_section_shows_settings_final_model_and_trials_with_fold_mean_sd_and_pruned_status()
    {
        var json = Samples.Json(Samples.AutoMLPath).GetProperty("experiments");
        var tpe = Section(Samples.AutoMLHtml, 1);
        var random = Section(Samples.AutoMLHtml, 2);

        Assert.Contains("<dt>Tuner</dt><dd>tpe</dd>", tpe);
        Assert.Contains("<dt>Pruner</dt><dd>median</dd>", tpe);
        Assert.Contains("<dt>Budget</dt><dd>10 min</dd>", tpe);
        Assert.Contains("<dt>Scored by</dt><dd>5-fold cross-validation on the training rows</dd>", tpe);
        Assert.Contains("<dt>Parallel trials</dt><dd>2</dd>", tpe);
        Assert.Contains("<dt>Trials</dt><dd>36 (34 succeeded, 2 pruned)</dd>", tpe);
        Assert.Contains("<dt>Stopped by</dt><dd>the time budget ran out</dd>", tpe);
        Assert.Contains("<code>reports/ames-automl/ames-tpe.study.sqlite</code>", tpe);
        Assert.Contains("<code>reports/ames-automl/ames-tpe.model.zip</code>", tpe);
        Assert.Contains("36 (26 succeeded, 9 pruned, 1 failed); 12 resumed from the study file instead of run again", random);

        // The final model: its test metrics as recorded, with a bootstrap interval for rmse, and its settings.
        var final = json[0].GetProperty("autoML").GetProperty("final");
        foreach (var metric in new[] { "rmse", "mae", "r2" })
            Assert.Contains($"<td class=\"num\" data-metric=\"{metric}\">{Text(final.GetProperty("metrics").GetProperty("test").GetProperty(metric))}</td>", tpe);
        Assert.Matches(@"<tr class=""primary""><td>rmse</td><td class=""num"" data-metric=""rmse"">20794</td><td class=""num"">\[\d+, \d+\]</td></tr>", tpe);
        Assert.Contains("the best configuration (trial lightgbm #10), refitted on all training rows and scored once on the 586 test rows", tpe);

        // The trials: ranked by fold mean, "mean ± sd", folds run, pruned ones unranked with their reason.
        var rows = Sample.LeaderboardRows(tpe);
        var trials = json[0].GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(36, rows.Count);
        foreach (var (rowClass, cells) in rows)
        {
            var number = int.Parse(Regex.Match(cells["candidate"], @"#(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            var trial = trials.Single(t => t.GetProperty("number").GetInt32() == number);
            var mean = trial.GetProperty("metrics").GetProperty("validation").GetProperty("rmse");
            var sd = trial.GetProperty("validationStd").GetProperty("rmse");
            Assert.Equal($"{Text(mean)} ± {Text(sd)}", cells["num primary validation"]);
            Assert.Equal(trial.GetProperty("folds").GetArrayLength().ToString(CultureInfo.InvariantCulture), cells["num folds"]);
            Assert.Equal(trial.GetProperty("status").GetString(), cells["status"]);
            Assert.Equal(Text(trial.GetProperty("finishedAtSeconds")), cells["num finished"]);
            Assert.Equal(trial.GetProperty("status").GetString() == "pruned", rowClass.Contains("unranked"));
        }
        Assert.StartsWith("lightgbm #10", rows[0].Cells["candidate"]);
        Assert.Contains("final", rows[0].Cells["candidate"]);
        Assert.Contains("<span class=\"label pruned\">Pruned:</span> stopped after fold 2 of 5", tpe);
        Assert.DoesNotContain("Test rmse</th>", tpe); // search trials were not scored on the test rows
        Assert.DoesNotContain("95% CI of test rmse</th>", tpe);
        Assert.Contains("95% CI of validation rmse: mean ± t·sd/√k over the k cross-validation folds.", tpe);
    }

    [Fact]
    public void Top_two_that_cannot_be_told_apart_are_named_in_a_sentence()
    {
        var html = Samples.ClassificationHtml;
        var binary = Regex.Match(html, @"lightgbm and mlp cannot be told apart on these 114 test rows \(p = [0-9.]+, Holm-adjusted over 11 comparisons\)\.");
        Assert.True(binary.Success);
        Assert.Contains($"<p class=\"verdict\">{binary.Value}</p>", Section(html, 1));
        Assert.Contains(binary.Value, Regex.Match(html, @"<section class=""summary"".*?</section>", RegexOptions.Singleline).Value);
        Assert.Matches(@"lightgbm and sdca cannot be told apart on these 36 test rows \(p = 1, Holm-adjusted over 11 comparisons\)\.", Section(html, 2));
        // The AutoML trials have no test rows: the corrected t-test on their folds decides.
        Assert.Matches(@"<p class=""verdict"">lightgbm #10 and lightgbm #13 cannot be told apart on these 5 folds \(p = [0-9.]+, Holm-adjusted over 11 comparisons\)\.</p>", Section(Samples.AutoMLHtml, 1));
        Assert.Contains("corrected t-test, 5 folds", Section(Samples.AutoMLHtml, 1));
        Assert.Contains("paired bootstrap, 114 rows", Section(html, 1));
    }

    [Fact]
    public void A_model_clearly_better_on_test_is_named_even_when_it_ranks_second_on_validation()
    {
        var results = Samples.Classification();
        var e = results.Experiments[0];
        results.Experiments.RemoveAt(1);
        var sdca = e.Trials.Single(t => t.Candidate == "sdca");
        var worse = e.Trials.Single(t => t.Candidate == "lightgbm");
        // Twenty rows lightgbm got right are now wrong: from 0.9737 to 0.7982 accuracy.
        var flipped = 0;
        for (var i = 0; i < e.TestLabels!.Count && flipped < 20; i++)
            if (worse.TestPredictions![i] == e.TestLabels[i])
            {
                worse.TestPredictions[i] = 1 - worse.TestPredictions[i];
                worse.TestScores![i] = 1 - worse.TestScores[i];
                flipped++;
            }
        worse.Metrics.Test["accuracy"] = worse.TestPredictions!.Where((p, i) => p == e.TestLabels[i]).Count() / (double)e.TestLabels.Count;
        e.Trials = [sdca, worse];

        var html = HtmlReport.Render(results);

        // lightgbm was selected (validation 0.956 against 0.930) and stays first; the test rows say sdca is better.
        Assert.Contains("<p class=\"verdict\">sdca is better than lightgbm on these 114 test rows (p &lt; 0.001, Holm-adjusted over 2 comparisons), although lightgbm ranks higher on validation accuracy.</p>", html);
        Assert.DoesNotContain("cannot be told apart", html);
    }

    [Fact]
    public void Identical_predictions_cannot_be_told_apart()
    {
        var results = Samples.Classification();
        var e = results.Experiments[0];
        results.Experiments.RemoveAt(1);
        var sdca = e.Trials.Single(t => t.Candidate == "sdca");
        var copy = JsonSerializer.Deserialize<TrialResult>(JsonSerializer.Serialize(sdca, ResultsFile.JsonOptions), ResultsFile.JsonOptions)!;
        copy.Candidate = "sdca-again";
        e.Trials = [sdca, copy];
        e.Best = "sdca";

        var html = HtmlReport.Render(results);

        Assert.Contains("<p class=\"verdict\">sdca and sdca-again cannot be told apart on these 114 test rows (p = 1, Holm-adjusted over 2 comparisons).</p>", html);
    }

    [Fact]
    public void Without_per_row_predictions_the_folds_decide_and_without_either_the_page_says_so()
    {
        var results = Samples.Classification();
        var e = results.Experiments[0];
        foreach (var t in e.Trials)
        {
            t.TestPredictions = null;
            t.TestScores = null;
        }
        // lightgbm and mlp rank first and second on validation.
        e.Trials[3].Folds = [.. new[] { 0.95, 0.97, 0.96, 0.98, 0.94 }.Select(v => new Dictionary<string, double> { ["accuracy"] = v })];
        e.Trials[0].Folds = [.. new[] { 0.96, 0.97, 0.95, 0.99, 0.95 }.Select(v => new Dictionary<string, double> { ["accuracy"] = v })];

        var html = Section(HtmlReport.Render(results), 1);

        Assert.Matches(@"<p class=""verdict"">lightgbm and mlp cannot be told apart on these 5 folds \(p = 0\.\d+, Holm-adjusted over 1 comparison\)\.</p>", html);
        Assert.Contains("no shared test rows or folds to compare on", html); // the other pairs
        Assert.Contains("95% CI of validation accuracy</th>", html); // fold intervals have their own column

        Assert.Contains("The results hold no per-row test predictions and no per-fold scores", Sample.Html);
        Assert.DoesNotContain("<p class=\"verdict\">", Sample.Html);
    }

    [Fact]
    public void Reproducibility_lists_suite_and_data_hashes_packages_machine_and_command()
    {
        var html = Regex.Match(Samples.ClassificationHtml, @"<section class=""reproducibility"".*?</section>", RegexOptions.Singleline).Value;

        Assert.Contains("<code>mlwb run experiments/classification.yaml</code>", html);
        Assert.Contains("5b2f0f7f3c1e8a9d64b1c0e2a7d95f3186c4e0b2d7a9f1c3e5b7d9f0a2c4e6b8", html);
        Assert.Contains("<code class=\"hash\">518936fa92ca3d8a78c420aee22030c4e519ffcba3be15dd23e83f2fc22e20e5</code>", html);
        Assert.Contains("<code class=\"hash\">0b1878a85c7319cb85c8f5eed4731bac48b130b99bb19169c8ac7f55fbc984f7</code>", html);
        Assert.Contains("<tr><td>Microsoft.ML.LightGbm</td><td><code>5.0.1</code></td></tr>", html);
        Assert.Contains("Intel(R) Xeon(R) Processor, 2 logical cores", html);
        Assert.Contains("<dt>.NET</dt><dd>.NET 10.0.12</dd>", html);
        Assert.Contains("@media print", Samples.ClassificationHtml);
    }

    [Fact]
    public void Index_lists_every_experiment_of_every_run_newest_first_with_task_metric_selected_model_duration_status_and_links()
    {
        var html = HtmlReport.RenderIndex([
            ("quickstart/index.html", Sample.Read()),
            ("classification/index.html", Samples.Classification()),
            ("ames-automl/index.html", Samples.AutoML()),
        ]);

        var suites = Regex.Matches(html, @"<td class=""suite""><a href=""([^""]+)"">([^<]+)</a>").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).Distinct().ToList();
        Assert.Equal([("ames-automl/index.html", "ames-automl"), ("classification/index.html", "classification"), ("quickstart/index.html", "quickstart")], suites);
        var rows = Regex.Matches(html, @"<tr class=""run"">(.*?)</tr>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(5, rows.Count); // two searches, two comparisons, one comparison
        var wine = Assert.Single(rows, r => r.Contains(">wine-cultivar</a>"));
        Assert.Contains("<td class=\"experiment\"><a href=\"classification/index.html#experiment-2-title\">wine-cultivar</a></td><td class=\"task\">multiclass</td>", wine);
        Assert.Contains("<td class=\"metric\">accuracy <span class=\"muted\">(higher is better)</span></td>", wine);
        Assert.Contains("<td class=\"shipped\"><a href=\"classification/index.html#experiment-2-decision\">lightgbm</a></td><td class=\"num shipped-test\">0.9722</td>", wine);
        Assert.Contains("<td class=\"num trials\" data-v=\"6\">6 of 6</td>", wine);
        Assert.Contains("<td class=\"status\"><span class=\"status succeeded\">completed</span></td>", wine);
        Assert.Contains("<td class=\"num started\" data-v=\"1796030045\">2026-11-30 09:14</td>", wine);
        Assert.Matches(@"<td class=""num duration"" data-v=""[0-9.]+"">[^<]+</td>", wine);
        Assert.Contains(rows, r => r.Contains(">ames-tpe</a>") && r.Contains(">lightgbm (final)</a></td><td class=\"num shipped-test\">20794</td>"));
        Assert.Contains(rows, r => r.Contains(">diabetes-progression</a>") && r.Contains(">fastforest</a></td><td class=\"num shipped-test\">54.87</td>"));
        Assert.Contains("3 runs, newest first", html);
        Assert.DoesNotContain("http", html.Replace("http-equiv", ""));

        Assert.Contains("No results found", HtmlReport.RenderIndex([]));
    }

    [Fact]
    public void A_failed_final_refit_is_reported_instead_of_its_scores()
    {
        var results = Samples.AutoML();
        var final = results.Experiments[0].AutoML!.Final!;
        final.Status = TrialStatus.Failed;
        final.Reason = "final refit failed: out of memory";
        final.Metrics.Test.Clear();
        final.TestPredictions = null;

        var html = HtmlReport.Render(results);

        Assert.Contains("The final refit of lightgbm failed:</span> final refit failed: out of memory", Section(html, 1));
        Assert.Contains("the final refit of <strong>lightgbm</strong> from a tpe search failed", html);
        Assert.DoesNotContain("<title>Predicted against actual", Section(html, 1));
    }

    private static string Text(JsonElement number) => NumberFormat.Significant(number.GetDouble());

    [Fact]
    public void Interval_of_a_perfect_score_is_explained()
    {
        Assert.Contains("An interval of zero width comes from a score no resample could change", Section(Samples.ClassificationHtml, 2));
        Assert.DoesNotContain("An interval of zero width", Section(Samples.ClassificationHtml, 1));
    }
}
