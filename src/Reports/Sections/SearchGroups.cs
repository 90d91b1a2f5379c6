using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>
/// AutoML experiments grouped by data and task (dataset SHA-256 and task): a suite may run several
/// tuners on the same data, and their searches belong in one best-so-far chart.
/// </summary>
internal sealed class SearchGroups
{
    private readonly List<List<ExperimentAnalysis>> groups;

    public SearchGroups(IEnumerable<ExperimentAnalysis> analyses) =>
        groups = [.. analyses.Where(a => a.Experiment.AutoML is not null).GroupBy(Key).Select(g => g.ToList())];

    /// <summary>Groups of two or more searches, compared in a section of their own.</summary>
    public IEnumerable<List<ExperimentAnalysis>> Shared => groups.Where(g => g.Count > 1);

    /// <summary>The searches on the same data and task as <paramref name="analysis"/>, itself included.</summary>
    public List<ExperimentAnalysis> GroupOf(ExperimentAnalysis analysis) => groups.First(g => g.Contains(analysis));

    /// <summary>The anchor of a shared group's part of the comparison section.</summary>
    public string Anchor(List<ExperimentAnalysis> group) => $"searches-{groups.IndexOf(group) + 1}";

    /// <summary>The best-so-far chart of a group, one line per search, as a figure.</summary>
    public static string BestSoFarFigure(List<ExperimentAnalysis> group)
    {
        var first = group[0];
        var names = group.Select(a => a.Experiment.AutoML!.Tuner).ToList();
        if (names.Distinct().Count() < names.Count || names.Any(string.IsNullOrWhiteSpace))
            names = [.. group.Select(a => $"{a.Experiment.AutoML!.Tuner} ({a.Name})")];
        var scored = group.Select(a => (a.Experiment.Trials ?? [])
            .Where(t => t.Status == TrialStatus.Succeeded && t.FinishedAtSeconds is not null).ToList()).ToList();
        if (scored.All(s => s.Count == 0)) return "";
        var folds = group.Select(a => a.Experiment.AutoML!.Folds).Distinct().ToList();
        var metric = $"best validation {first.Metric}" + (folds is [> 1] ? $" ({folds[0]}-fold mean)" : "");
        var svg = Charts.BestSoFar($"Best validation {first.Metric} so far", metric, [.. names],
            [.. scored.Select(s => s.Select(t => t.FinishedAtSeconds!.Value).ToArray())],
            [.. scored.Select(s => s.Select(t => TrialRanking.Score(t, first.Metric, RankBasis.Validation) ?? double.NaN).ToArray())],
            first.Experiment.HigherIsBetter);
        var caption = group.Count == 1
            ? $"The best validation {first.Metric} the {names[0]} search had found at each moment; a dot marks each improvement. Pruned and failed trials are left out."
            : $"The best validation {first.Metric} each search had found at each moment ({string.Join(", ", names)}), on the same data; a dot marks each improvement. Pruned and failed trials are left out.";
        return ChartsSection.Figure(svg, caption);
    }

    private static string Key(ExperimentAnalysis a)
    {
        var d = a.Experiment.Dataset ?? new DatasetInfo();
        var data = string.IsNullOrEmpty(d.Sha256) ? $"{d.Path}|{d.Name}" : d.Sha256;
        return $"{data}|{a.Experiment.Task}";
    }
}
