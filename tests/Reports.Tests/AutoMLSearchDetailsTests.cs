using System.Text.RegularExpressions;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

/// <summary>The AutoML section shows what schemas 1.4 to 1.9 add: successive-halving rungs, the refit and the as-selected score, the workers, the portfolio, cancelled and not-started trials, the ensemble, the search time against the budget, networks trained to their seconds.</summary>
public class AutoMLSearchDetailsTests
{
    private static RungResult Rung(int rung, double epochs, double value, string outcome) => new() { Rung = rung, Fidelity = epochs, Value = value, Outcome = outcome };

    [Fact]
    public void Rungs_refit_as_selected_score_and_workers_are_shown()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0]; // ames, rmse: lower is better
        var t = e.Trials.Where(x => x.Status == TrialStatus.Succeeded).Take(3).ToList();
        t[0].Rungs = [Rung(0, 3, 41000, "promoted"), Rung(1, 9, 30000, "final")];
        t[1].Rungs = [Rung(0, 3, 52000, "stopped")];
        t[2].Rungs = [Rung(0, 3, 39000, "promoted"), Rung(1, 9, 31000, "final")];
        e.AutoML!.Refit = new RefitInfo { TrainRows = 1200, Epochs = 9, Seconds = 75 };
        e.AutoML.AsSelected = new TrialResult { Candidate = e.AutoML.Final!.Candidate, Metrics = new TrialMetrics { Test = new() { ["rmse"] = 23456.7 } } };
        t[0].Worker = "host-a:101";
        t[1].Worker = "host-b:202";
        t[1].Attempts = 2;

        var section = Regex.Match(HtmlReport.Render(results), @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value;

        var rows = Regex.Matches(Regex.Match(section, @"<table class=""rungs"">.*?</table>", RegexOptions.Singleline).Value, @"<tr><td.*?</tr>")
            .Select(m => Sample.PlainText(Regex.Replace(m.Value, "</td>", "|"))).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal($"0|3 epochs|3|2|1|0|39000 ({TrialRanking.Name(t[2])})|", rows[0]);
        Assert.Equal($"1|9 epochs|2|0|0|2|30000 ({TrialRanking.Name(t[0])})|", rows[1]);
        var facts = Sample.PlainText(section.Replace("</dt>", " "));
        Assert.Contains("Refit on train+validation (1,200 examples, 9 epochs, those it was selected at), 1 min 15 s apart from the budget", facts);
        Assert.Matches(@"As selected test rmse 23457 \(the winner as trained in the search, on the training rows only; the final model above scores \d+\)", facts);
        Assert.Contains("Workers 2 (host-a:101, host-b:202); 1 trial was started again after a worker stopped", facts);
    }

    [Fact]
    public void Row_rungs_of_a_large_table_are_shown_in_rows()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0];
        var t = e.Trials.Where(x => x.Status == TrialStatus.Succeeded).Take(2).ToList();
        static RungResult Rows(int rung, double rows, double value, string outcome) => new() { Rung = rung, Fidelity = rows, Unit = "rows", Value = value, Outcome = outcome };
        t[0].Rungs = [Rows(0, 2000, 41000, "promoted"), Rows(1, 6000, 33000, "promoted"), Rows(2, 18000, 30000, "final")];
        t[1].Rungs = [Rows(0, 2000, 52000, "stopped")];

        var section = Regex.Match(HtmlReport.Render(results), @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value;

        var rows = Regex.Matches(Regex.Match(section, @"<table class=""rungs"">.*?</table>", RegexOptions.Singleline).Value, @"<tr><td.*?</tr>")
            .Select(m => Sample.PlainText(Regex.Replace(m.Value, "</td>", "|"))).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal($"0|2,000 rows|2|1|1|0|41000 ({TrialRanking.Name(t[0])})|", rows[0]);
        Assert.Equal($"2|18,000 rows|1|0|0|1|30000 ({TrialRanking.Name(t[0])})|", rows[2]);
    }

    [Fact]
    public void Portfolio_cancelled_and_not_started_trials_are_shown()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0];
        var numbered = e.Trials.Where(x => x.Number is not null).OrderBy(x => x.Number).ToList();
        e.AutoML!.StartingTrials = 3;
        (numbered[0].Candidate, numbered[1].Candidate, numbered[2].Candidate) = ("lightgbm", "fasttree", "lightgbm");
        var cancelled = numbered[3];
        cancelled.CancelledAtSeconds = 12.3456;
        cancelled.StopSeconds = 0.48213;
        cancelled.PredictedSeconds = 30.04;
        var abandoned = numbered[4];
        abandoned.CancelledAtSeconds = 5;
        numbered[5].Status = TrialStatus.Failed;
        numbered[5].Reason = "not started: the predicted fit time exceeds the budget left";
        numbered[6].Status = TrialStatus.Failed;
        numbered[6].Reason = "not started: the predicted fit time exceeds the budget left";

        var section = Regex.Match(HtmlReport.Render(results), @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value;

        var facts = Sample.PlainText(section.Replace("</dt>", " "));
        Assert.Contains("Portfolio 3 trials (numbers 0–2) queued before the sampler: lightgbm ×2, fasttree", facts);
        Assert.Contains("Not started 2 trials (2 the predicted fit time exceeds the budget left)", facts);
        var rows = Regex.Matches(Regex.Match(section, @"<table class=""cancelled"">.*?</table>", RegexOptions.Singleline).Value, @"<tr><td.*?</tr>")
            .Select(m => Sample.PlainText(Regex.Replace(m.Value, "</td>", "|"))).ToList();
        Assert.Equal([$"#{cancelled.Number}|{cancelled.Candidate}|12.35 s|0.4821 s|30.04 s|", $"#{abandoned.Number}|{abandoned.Candidate}|5.000 s|–|–|"], rows);
        Assert.Contains("2 trials were cancelled", section);
    }

    [Fact]
    public void Search_time_against_the_budget_and_trials_not_started_with_their_prediction_and_allowed_seconds_are_shown()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0];
        var numbered = e.Trials.Where(x => x.Number is not null).OrderBy(x => x.Number).ToList();
        e.AutoML!.BudgetSeconds = 300;
        e.AutoML.SearchSeconds = 301.5;
        foreach (var t in numbered) (t.AllowedSeconds, t.TrainSeconds) = (150, 10);
        (numbered[1].AllowedSeconds, numbered[1].TrainSeconds) = (20, 25); // 25% past its seconds
        (numbered[2].AllowedSeconds, numbered[2].TrainSeconds) = (150, 151); // a cancelled fit returns a moment late: within 10%
        var refused = numbered[3];
        refused.Status = TrialStatus.Failed;
        refused.Reason = "not started: the cost model predicts 40 s for its 1 fit(s), more than the 12.5 s it may take";
        (refused.PredictedSeconds, refused.AllowedSeconds, refused.TrainSeconds) = (40.04, 12.5, 0);

        var section = Regex.Match(HtmlReport.Render(results), @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value;

        var facts = Sample.PlainText(section.Replace("</dt>", " "));
        Assert.Contains($"Search time 301.5 s of the 300.0 s budget (100.5%), the final refit apart; the longest trial against its allowed seconds: #{numbered[1].Number} {numbered[1].Candidate}, 25.00 s of 20.00 s; 1 of {numbered.Count} ran more than 10% past them", facts);
        var rows = Regex.Matches(Regex.Match(section, @"<table class=""not-started"">.*?</table>", RegexOptions.Singleline).Value, @"<tr><td.*?</tr>")
            .Select(m => Sample.PlainText(Regex.Replace(m.Value, "</td>", "|"))).ToList();
        Assert.Equal([$"#{refused.Number}|{refused.Candidate}|40.04 s|12.50 s|"], rows);
        Assert.Contains("1 trial was not started", section);
    }

    [Fact]
    public void Networks_whose_time_plan_cut_their_epochs_are_shown_with_planned_and_trained()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0];
        var numbered = e.Trials.Where(x => x.Number is not null).OrderBy(x => x.Number).ToList();
        numbered[0].Training = new TrainingPlan
        {
            AllowedSeconds = 436.5, ConfiguredEpochs = 3, PlannedEpochs = 0.62, TrainedEpochs = 0.6, PlannedExamples = 1786, TrainedExamples = 1728,
            SecondsPerStep = 3.412, StoppedAtLimit = true,
        };
        // A plan that fitted every configured epoch is not a cut: not listed.
        numbered[1].Training = new TrainingPlan { AllowedSeconds = 100, ConfiguredEpochs = 2, PlannedEpochs = 2, TrainedEpochs = 2, PlannedExamples = 400, TrainedExamples = 400 };

        var section = Regex.Match(HtmlReport.Render(results), @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value;

        var rows = Regex.Matches(Regex.Match(section, @"<table class=""time-planned"">.*?</table>", RegexOptions.Singleline).Value, @"<tr><td.*?</tr>")
            .Select(m => Sample.PlainText(Regex.Replace(m.Value, "</td>", "|"))).ToList();
        Assert.Equal([$"#{numbered[0].Number}|{numbered[0].Candidate}|436.5 s|3.000|0.6200|0.6000|1,728 of 1,786|3.412|the limit|"], rows);
        Assert.Contains("1 network trial had too few seconds for its epochs", section);
    }

    [Fact]
    public void A_search_without_rungs_refit_or_workers_shows_none_of_them()
    {
        var section = Regex.Match(Samples.AutoMLHtml, @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value;
        Assert.DoesNotContain("Successive halving", section);
        Assert.DoesNotContain("<dt>Refit</dt>", section);
        Assert.DoesNotContain("<dt>As selected</dt>", section);
        Assert.DoesNotContain("<dt>Workers</dt>", section);
        Assert.DoesNotContain("<dt>Portfolio</dt>", section);
        Assert.DoesNotContain("<dt>Not started</dt>", section);
        Assert.DoesNotContain("Cancelled trials", section);
        Assert.DoesNotContain("<dt>Search time</dt>", section);
        Assert.DoesNotContain("Trials not started", section);
        Assert.DoesNotContain("<h4>Ensemble</h4>", section);
    }

    [Fact]
    public void A_chosen_ensemble_shows_its_members_weights_and_judgement_and_names_itself_as_the_final_model()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0]; // ames, rmse
        var t = e.Trials.Where(x => x.Status == TrialStatus.Succeeded && x.Number is not null).Take(2).ToList();
        var winner = e.AutoML!.Final!;
        e.AutoML.Ensemble = new EnsembleInfo
        {
            Chosen = true, Rows = "out-of-fold predictions of 5-fold cross-validation", FitRows = 600, JudgeRows = 601, Score = 24000.4, WinnerScore = 25000.6,
            Reason = "the ensemble scored 24000 against the winner's 25001 on 601 rows its weights never saw",
            Members = [new() { Number = t[0].Number!.Value, Candidate = t[0].Candidate, Weight = 0.64 }, new() { Number = t[1].Number!.Value, Candidate = t[1].Candidate, Weight = 0.36 }],
            Winner = new TrialResult { Candidate = winner.Candidate, Number = winner.Number, Metrics = new TrialMetrics { Test = new() { ["rmse"] = 26543.2 } } },
        };
        e.AutoML.Final = new TrialResult
        {
            Candidate = "ensemble", Family = "ensemble", Number = winner.Number, Status = TrialStatus.Succeeded,
            Hyperparameters = new() { ["members"] = $"trial {t[0].Number} {t[0].Candidate} 0.64, trial {t[1].Number} {t[1].Candidate} 0.36" },
            Metrics = new TrialMetrics { Validation = new() { ["rmse"] = 24000.4 }, Test = new() { ["rmse"] = 24100.9 } },
        };

        var section = Regex.Match(HtmlReport.Render(results), @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value;

        var rows = Regex.Matches(Regex.Match(section, @"<table class=""ensemble"">.*?</table>", RegexOptions.Singleline).Value, @"<tr><td.*?</tr>")
            .Select(m => Sample.PlainText(Regex.Replace(m.Value, "</td>", "|"))).ToList();
        Assert.Equal([$"#{t[0].Number}|{t[0].Candidate}|0.6400|", $"#{t[1].Number}|{t[1].Candidate}|0.3600|"], rows);
        var text = Sample.PlainText(section);
        Assert.Contains("out-of-fold predictions of 5-fold cross-validation): weights fitted on 600 rows, judged on 601 others, where it scored rmse 24000 against the winner's 25001; chosen: it is the final model", text);
        Assert.Contains($"The single winner ({winner.Candidate}, trial #{winner.Number}), refit as it would have been final, scored test rmse 26543", text);
        Assert.Contains($"ensemble of 2 trials ({t[0].Candidate} #{t[0].Number} × 0.6400, {t[1].Candidate} #{t[1].Number} × 0.3600), each member refitted", text);
    }

    [Fact]
    public void An_ensemble_that_was_not_chosen_is_shown_as_not_chosen_with_its_reason()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0];
        var t = e.Trials.First(x => x.Status == TrialStatus.Succeeded && x.Number is not null);
        e.AutoML!.Ensemble = new EnsembleInfo
        {
            Rows = "the validation examples", FitRows = 50, JudgeRows = 50, Score = 30000, WinnerScore = 29000,
            Reason = "not chosen: it scored 30000 against the winner's 29000 on 50 rows its weights never saw",
            Members = [new() { Number = t.Number!.Value, Candidate = t.Candidate, Weight = 1 }],
        };
        var text = Sample.PlainText(Regex.Match(HtmlReport.Render(results), @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value);
        Assert.Contains("not chosen: the winner stays the final model", text);
        Assert.Contains("not chosen: it scored 30000 against the winner's 29000 on 50 rows its weights never saw", text);
        Assert.DoesNotContain("each member refitted", text);
    }

    [Fact]
    public void Members_left_out_for_their_refit_cost_are_named_with_the_reason_and_an_ensemble_not_judged_says_so()
    {
        var results = Samples.AutoML();
        var e = results.Experiments[0];
        var t = e.Trials.First(x => x.Status == TrialStatus.Succeeded && x.Number is not null);
        const string why = "trial 5 (mlp): its refit is predicted at 98.2 s, more than the 15 s left of the 15 s (25% of the search's 60 s) that the members' refits may take";
        e.AutoML!.Ensemble = new EnsembleInfo
        {
            Rows = "the holdout's validation rows", FitRows = 50, JudgeRows = 50, Score = 30000, WinnerScore = 29000, Reason = "not chosen",
            Members = [new() { Number = t.Number!.Value, Candidate = t.Candidate, Weight = 1 }], LeftOut = [why],
        };
        string Section() => Sample.PlainText(Regex.Match(HtmlReport.Render(results), @"<section class=""experiment"" id=""experiment-1"".*?</section>", RegexOptions.Singleline).Value);
        Assert.Contains("Left out before the weights were fitted: " + why, Section());

        e.AutoML.Ensemble = new EnsembleInfo { Rows = "the holdout's validation rows", LeftOut = [why], Reason = "not judged: no member besides the winner could be refit in the seconds allowed" };
        var text = Section();
        Assert.Contains("not judged: no member besides the winner could be refit in the seconds allowed", text);
        Assert.Contains(why, text);
        Assert.DoesNotContain("weights fitted on 0 rows", text);
    }
}
