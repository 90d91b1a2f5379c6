using System.Globalization;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using Spectre.Console;

namespace MLWorkbench.Cli;

/// <summary>
/// The leaderboard of each experiment as a console table, in the report's order. Comparisons rank by the validation
/// primary metric the model was selected on (ties as <see cref="SelectionRule"/> breaks them, so the selected model is
/// first), test beside it; AutoML searches rank by the cross-validated primary metric (mean ± spread over folds), and the
/// final model's test score follows the table.
/// </summary>
internal static class Leaderboard
{
    public static void Write(IAnsiConsole console, RunResults results)
    {
        foreach (var experiment in results.Experiments)
        {
            var metric = experiment.PrimaryMetric;
            var sign = experiment.HigherIsBetter ? -1 : 1;
            var automl = experiment.AutoML is not null;
            // Example searches (images, texts, pairs) rank trials on one validation split and keep the winner as trained.
            var holdout = experiment.AutoML is { Folds: 1 };
            var refitted = TaskNames.Parse(experiment.Task)?.IsTabular() ?? true;
            var table = new Table().Title($"[bold]{Markup.Escape(experiment.Name)}[/] ({Markup.Escape(experiment.Task)}, {experiment.Dataset.Rows} rows"
                + (automl ? $", {experiment.AutoML!.Tuner}, {experiment.Trials.Count} trials" : "") + ")");
            table.AddColumns("#", automl ? "trial" : "candidate", "family", automl && !holdout ? $"cv {metric} (± sd)" : $"validation {metric}", automl ? "folds" : $"test {metric}", "train s", automl ? "status" : "µs/row");
            if (!automl) table.AddColumn("size");
            var rule = Comparer<TrialResult>.Create((a, b) => SelectionRule.Compare(a, b, metric, experiment.HigherIsBetter));
            var ranked = automl
                ? experiment.Trials
                    .OrderBy(t => t.Status == TrialStatus.Succeeded ? 0 : 1)
                    .ThenBy(t => t.Metrics.Validation.TryGetValue(metric, out var v) ? v * sign : double.MaxValue)
                    .Take(15)
                : experiment.Trials.Where(t => SelectionRule.IsScored(t, metric)).Order(rule)
                    .Concat(experiment.Trials.Where(t => !SelectionRule.IsScored(t, metric)));
            var rank = 0;
            foreach (var t in ranked)
            {
                var ok = t.Status == TrialStatus.Succeeded;
                var name = automl ? $"{t.Number}: {t.Candidate}" : t.Candidate;
                var validation = Format(t.Metrics.Validation, metric) + (automl && t.ValidationStd?.TryGetValue(metric, out var sd) == true ? $" ± {sd.ToString("G3", CultureInfo.InvariantCulture)}" : "");
                string[] cells =
                [
                    (automl ? ok : SelectionRule.IsScored(t, metric)) ? (++rank).ToString(CultureInfo.InvariantCulture) : "-", Markup.Escape(name), t.Family, validation,
                    automl ? (t.Folds?.Count ?? (holdout && ok ? 1 : 0)).ToString(CultureInfo.InvariantCulture) : Format(t.Metrics.Test, metric),
                    t.TrainSeconds.ToString("0.00", CultureInfo.InvariantCulture),
                    automl ? t.Status : ok ? t.PredictMicrosecondsPerRow.ToString("0.0", CultureInfo.InvariantCulture) : "",
                ];
                table.AddRow(automl ? cells : [.. cells, Size(t.ModelBytes, t.PretrainedBytes)]);
            }
            console.Write(table);
            if (!automl)
            {
                foreach (var t in experiment.Trials.Where(t => t.Reason is not null))
                    console.MarkupLine($"[yellow]{Markup.Escape(t.Candidate)}[/] {t.Status}: {Markup.Escape(t.Reason!)}");
                continue;
            }
            var info = experiment.AutoML!;
            var failed = experiment.Trials.Count(t => t.Status == TrialStatus.Failed);
            var pruned = experiment.Trials.Count(t => t.Status == TrialStatus.Pruned);
            console.MarkupLine(Markup.Escape($"Stopped by {info.StopReason}; {experiment.Trials.Count} trials ({info.ResumedTrials} resumed from the study, {pruned} pruned, {failed} failed)."));
            if (info.Final is { } final)
                console.MarkupLine(Markup.Escape(final.Status == TrialStatus.Succeeded
                    ? (info.Ensemble is { Chosen: true } ensemble
                        ? $"Final model: weighted ensemble of {ensemble.Members.Count} trials ({string.Join(", ", ensemble.Members.Select(m => $"{m.Candidate} #{m.Number} x{m.Weight:0.##}"))}), members refitted in {final.TrainSeconds:0.00} s"
                        : info.Refit is { } refit
                        ? $"Final model: {final.Candidate} (trial {final.Number}) refitted on {refit.TrainRows} rows ({refit.Rows}) in {final.TrainSeconds:0.00} s"
                        : refitted
                        ? $"Final model: {final.Candidate} (trial {final.Number}) refitted on {experiment.Split.TrainRows} rows in {final.TrainSeconds:0.00} s"
                        : $"Final model: {final.Candidate} (trial {final.Number}, as trained in the search on {experiment.Split.TrainRows} rows in {final.TrainSeconds:0.00} s)")
                      + (final.Metrics.Test.TryGetValue(metric, out var test) ? $"; test {metric} {test.ToString("G5", CultureInfo.InvariantCulture)} on {experiment.Split.TestRows} rows." : "; no test rows were given.")
                    : $"Final model failed: {final.Reason}"));
            else console.MarkupLine("[yellow]No trial completed, so there is no final model.[/]");
            foreach (var t in experiment.Trials.Where(t => t.Status == TrialStatus.Failed).Take(5))
                console.MarkupLine($"[yellow]trial {t.Number} {Markup.Escape(t.Candidate)}[/] failed: {Markup.Escape(t.Reason ?? "")}");
        }
    }

    /// <summary>The model's size in a bundle (1024-based units), plus the pretrained files it loads from packages.</summary>
    private static string Size(long? bytes, long? pretrained)
    {
        static string Of(long value)
        {
            string[] units = ["B", "KB", "MB", "GB"];
            var (scaled, unit) = ((double)value, 0);
            while (scaled >= 1024 && unit < units.Length - 1) (scaled, unit) = (scaled / 1024, unit + 1);
            return unit == 0 ? $"{value} B" : $"{scaled.ToString(scaled < 10 ? "0.0" : "0", CultureInfo.InvariantCulture)} {units[unit]}";
        }
        if (bytes is not { } b) return "";
        return pretrained is { } p and > 0 ? $"{Of(b)} + {Of(p)} pretrained" : Of(b);
    }

    private static string Format(Dictionary<string, double> metrics, string metric) =>
        metrics.TryGetValue(metric, out var v) ? v.ToString("G5", CultureInfo.InvariantCulture) : "";
}
