using MLWorkbench.Cli;
using MLWorkbench.Results;
using Spectre.Console;
using MLWorkbench.AutoML;

namespace MLWorkbench.Tests;

/// <summary>The console leaderboard ranks a comparison as the report does: by validation, ties by the selection rule, test beside it.</summary>
public class LeaderboardTests
{
    private static TrialResult Trial(string name, double validation, double test, double seconds) => new()
    {
        Candidate = name, Family = "mlnet", TrainSeconds = seconds, PredictMicrosecondsPerRow = 5,
        Metrics = new TrialMetrics { Validation = new() { ["accuracy"] = validation }, Test = new() { ["accuracy"] = test } },
    };

    [Fact]
    public void A_comparison_is_ranked_by_validation_with_ties_to_the_faster_model_not_by_test()
    {
        // As in the quickstart's wine: three models tie at validation 1 (mlp trained fastest), the best test score is elsewhere.
        var experiment = new ExperimentResult
        {
            Name = "wine", Task = "multiclass", PrimaryMetric = "accuracy", HigherIsBetter = true, Best = "mlp",
            Trials =
            [
                Trial("sdca", 1, 0.9722, 1.57), Trial("lightgbm", 0.9722, 1, 0.05), Trial("fastforest", 1, 1, 0.16), Trial("mlp", 1, 1, 0.10),
                new TrialResult { Candidate = "broken", Family = "torch", Status = TrialStatus.Failed, Reason = "bad settings" },
            ],
        };
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;

        Leaderboard.Write(console, new RunResults { Experiments = [experiment] });

        var rows = output.ToString().Split('\n').Where(l => l.Contains("mlnet") || l.Contains("torch"))
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries)).Select(c => (Rank: c[1], Name: c[2])).ToList();
        Assert.Equal([("1", "mlp"), ("2", "fastforest"), ("3", "sdca"), ("4", "lightgbm"), ("-", "broken")], rows);
    }
}
