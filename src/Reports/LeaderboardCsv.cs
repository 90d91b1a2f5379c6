using System.Globalization;
using System.Text;
using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>An experiment's leaderboard as CSV, in the page's order, for a download link that fetches nothing.</summary>
internal static class LeaderboardCsv
{
    /// <summary>The CSV text: one row per trial, then the baseline; numbers round-trip, text is quoted where needed.</summary>
    public static string Text(ExperimentAnalysis a)
    {
        var e = a.Experiment;
        var pm = e.PrimaryMetric;
        var others = (e.Trials ?? []).SelectMany(t => t.Metrics?.Test?.Keys ?? Enumerable.Empty<string>()).Where(k => k != pm).Distinct().ToList();
        var csv = new StringBuilder();
        Row(csv, ["rank", "candidate", "family", "status", "selected", $"validation_{pm}", $"validation_{pm}_sd", $"test_{pm}", $"test_{pm}_ci_low", $"test_{pm}_ci_high",
            .. others.Select(m => $"test_{m}"), "train_seconds", "predict_us_per_row", "model_bytes"]);
        foreach (var r in a.Ranking)
        {
            var t = r.Trial;
            var ci = r.Rank is null ? null : a.TestInterval(t);
            Row(csv, [r.Rank?.ToString(CultureInfo.InvariantCulture) ?? "", Safe(TrialRanking.Name(t)), Safe(t.Family), Safe(t.Status),
                ReferenceEquals(t, a.SelectedRow) ? "true" : "false",
                Number(Value(t.Metrics?.Validation, pm)), Number(Value(t.ValidationStd, pm)), Number(Value(t.Metrics?.Test, pm)), Number(ci?.Low), Number(ci?.High),
                .. others.Select(m => Number(Value(t.Metrics?.Test, m))),
                Number(t.TrainSeconds), Number(t.PredictMicrosecondsPerRow > 0 ? t.PredictMicrosecondsPerRow : null), t.ModelBytes?.ToString(CultureInfo.InvariantCulture) ?? ""]);
        }
        if (a.Baseline is { } b)
            Row(csv, ["", Safe(b.Name), "", "reference", "false", "", "", Number(b.Score), Number(b.Interval?.Low), Number(b.Interval?.High),
                .. others.Select(_ => ""), "", "", ""]);
        return csv.ToString();
    }

    /// <summary>The CSV as a <c>data:text/csv</c> URI (percent-encoded UTF-8).</summary>
    public static string DataUri(ExperimentAnalysis a) => "data:text/csv;charset=utf-8," + Uri.EscapeDataString(Text(a));

    private static void Row(StringBuilder csv, IEnumerable<string> fields) =>
        csv.Append(string.Join(",", fields.Select(Quote))).Append("\r\n");

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{field.Replace("\"", "\"\"")}\"" : field;

    // A text cell that starts like a formula would run as one in a spreadsheet: prefix it with a quote.
    private static string Safe(string? text) =>
        string.IsNullOrEmpty(text) ? "" : text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;

    private static string Number(double? value) =>
        value is { } v && double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static double? Value(Dictionary<string, double>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var v) ? v : null;
}
