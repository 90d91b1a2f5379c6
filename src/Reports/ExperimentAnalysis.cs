using System.Globalization;
using MLWorkbench.Reports.Statistics;
using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>Two top models compared on the same rows or folds; <see cref="Result"/> is null when they share neither.</summary>
internal sealed record Comparison(RankedTrial First, RankedTrial Second, PairedResult? Result);

/// <summary>What the report derives from one experiment before writing it: ranking, intervals, paired tests.</summary>
internal sealed class ExperimentAnalysis
{
    /// <summary>How many of the top models are compared pairwise.</summary>
    public const int ComparedModels = 5;

    private readonly Dictionary<TrialResult, Func<int[], double>?> rowMetric = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<TrialResult, Interval?> intervals = new(ReferenceEqualityComparer.Instance);

    /// <param name="experiment">The experiment.</param>
    /// <param name="number">Its position in the suite, from 1.</param>
    /// <param name="compare">False to skip the bootstrap of the final model and the paired tests (the index page needs neither).</param>
    public ExperimentAnalysis(ExperimentResult experiment, int number, bool compare = true)
    {
        Experiment = experiment;
        Number = number;
        Basis = TrialRanking.Basis(experiment);
        Ranking = TrialRanking.Rank(experiment);
        IsBinary = experiment.Task == "binary" || experiment.ClassNames is { Count: 2 };
        IsClassification = IsBinary || experiment.ClassNames is not null || experiment.Task is "multiclass" or "image-classification" or "text-classification";
        IsRegression = !IsClassification && experiment.Task is "regression" or "sentence-similarity";
        Classes = IsClassification ? CountClasses(experiment, IsBinary) : 0;
        Final = experiment.AutoML?.Final;
        Selected = Final ?? (experiment.Best is null ? null
            : (experiment.Trials ?? []).FirstOrDefault(t => t.Candidate == experiment.Best && t.Status == TrialStatus.Succeeded));
        SelectedRow = Final is null ? Selected : ChosenTrial(experiment, Final, Ranking);
        FinalInterval = Final is null || !compare ? null : RowInterval(Final);
        Comparisons = compare ? Compare() : [];
    }

    public ExperimentResult Experiment { get; }

    /// <summary>Position in the suite, from 1; also the experiment's anchor.</summary>
    public int Number { get; }

    public string Anchor => $"experiment-{Number}";

    public string Name => Experiment.Name;

    public string Metric => Experiment.PrimaryMetric;

    public RankBasis Basis { get; }

    public List<RankedTrial> Ranking { get; }

    public IEnumerable<RankedTrial> Ranked => Ranking.Where(r => r.Rank is not null);

    public bool IsClassification { get; }

    public bool IsBinary { get; }

    public bool IsRegression { get; }

    /// <summary>Number of classes (classification), at least 2; 0 otherwise.</summary>
    public int Classes { get; }

    /// <summary>The AutoML final model, when the experiment was a search.</summary>
    public TrialResult? Final { get; }

    /// <summary>The model the experiment chose: the AutoML final model, or the best trial by validation.</summary>
    public TrialResult? Selected { get; }

    /// <summary>The leaderboard row to tag as selected (for a search: the trial the final model refits).</summary>
    public TrialResult? SelectedRow { get; }

    public Interval? FinalInterval { get; }

    public List<Comparison> Comparisons { get; }

    public int TestRows => Experiment.TestLabels?.Count ?? 0;

    /// <summary>Class names by index; "class 0", "class 1", ... where the results do not name them.</summary>
    public string ClassName(int index) =>
        Experiment.ClassNames is { } names && index < names.Count ? names[index] : $"class {index}";

    /// <summary>"test rmse" or "validation rmse": the score the leaderboard ranks by.</summary>
    public string BasisLabel => Basis == RankBasis.Test ? $"test {Metric}" : $"validation {Metric}";

    /// <summary>The 95% interval of the trial's ranking score: bootstrap over test rows, or t over folds.</summary>
    public Interval? IntervalOf(TrialResult trial)
    {
        if (intervals.TryGetValue(trial, out var cached)) return cached;
        var interval = (Basis == RankBasis.Test ? RowInterval(trial) : null) ?? Bootstrap.FoldInterval(FoldValues(trial));
        intervals[trial] = interval;
        return interval;
    }

    /// <summary>The primary metric of <paramref name="trial"/> per fold (empty without folds).</summary>
    public double[] FoldValues(TrialResult trial) =>
        [.. (trial.Folds ?? []).Select(f => f is not null && f.TryGetValue(Metric, out var v) ? v : double.NaN)];

    /// <summary>
    /// The sentence about the two best models: whether they can be told apart, or null when there are
    /// not two ranked models with per-row or per-fold data.
    /// </summary>
    public string? Verdict()
    {
        var top = Comparisons.FirstOrDefault(c => c.First.Rank == 1 && c.Second.Rank == 2);
        if (top?.Result is not { } r || double.IsNaN(r.PValue)) return null;
        string first = TrialRanking.Name(top.First.Trial), second = TrialRanking.Name(top.Second.Trial);
        return r.PValue >= 0.05
            ? $"{first} and {second} cannot be told apart {Units(r)} ({Html.P(r.PValue)})."
            : $"{first} is better than {second} {Units(r)} ({Html.P(r.PValue)}).";
    }

    /// <summary>"on these 88 test rows" or "on these 5 folds".</summary>
    public static string Units(PairedResult r) => r.Method == PairedMethod.Bootstrap
        ? $"on these {r.Units.ToString("N0", CultureInfo.InvariantCulture)} test rows"
        : $"on these {r.Units} folds";

    /// <summary>True when a positive difference (first minus second) favours the first model.</summary>
    public bool FirstIsBetter(PairedResult r) => Experiment.HigherIsBetter ? r.Difference > 0 : r.Difference < 0;

    private Interval? RowInterval(TrialResult trial)
    {
        if (RowMetric(trial) is not { } metric) return null;
        return Bootstrap.PercentileInterval(TestRows, metric) is { } ci
            ? new Interval(ci.Low, ci.High, IntervalMethod.Bootstrap, TestRows)
            : null;
    }

    private Func<int[], double>? RowMetric(TrialResult trial)
    {
        if (!rowMetric.TryGetValue(trial, out var metric))
        {
            metric = RowMetrics.For(Metric, Experiment.TestLabels, trial.TestPredictions, trial.TestScores, Classes);
            rowMetric[trial] = metric;
        }
        return metric;
    }

    private List<Comparison> Compare()
    {
        var top = Ranked.Take(ComparedModels).ToList();
        var comparisons = new List<Comparison>();
        for (var i = 0; i < top.Count; i++)
            for (var j = i + 1; j < top.Count; j++)
                comparisons.Add(new Comparison(top[i], top[j], Paired(top[i].Trial, top[j].Trial)));
        return comparisons;
    }

    private PairedResult? Paired(TrialResult first, TrialResult second)
    {
        if (Basis == RankBasis.Test && RowMetric(first) is { } a && RowMetric(second) is { } b)
            return PairedTests.PairedBootstrap(TestRows, a, b);
        double[] fa = FoldValues(first), fb = FoldValues(second);
        if (fa.Length >= 2 && fa.Length == fb.Length && fa.Concat(fb).All(double.IsFinite))
            return PairedTests.CorrectedResampledTTest(fa, fb).ToPaired();
        return null;
    }

    private static int CountClasses(ExperimentResult e, bool binary)
    {
        if (e.ClassNames is { Count: > 0 } names) return Math.Max(2, names.Count);
        if (binary) return 2;
        var seen = (e.TestLabels ?? []).Concat((e.Trials ?? []).SelectMany(t => t.TestPredictions ?? []))
            .Where(double.IsFinite).Select(RowMetrics.ClassOf).DefaultIfEmpty(1).Max();
        return Math.Max(2, seen + 1);
    }

    // The search trial the final model refits: the one with its number, else the best ranked with the same
    // candidate and settings.
    private static TrialResult? ChosenTrial(ExperimentResult e, TrialResult final, List<RankedTrial> ranking)
    {
        if (final.Number is { } number && ranking.FirstOrDefault(r => r.Trial.Number == number)?.Trial is { } numbered) return numbered;
        var settings = Html.HyperparameterText(final.Hyperparameters);
        return ranking.Select(r => r.Trial).FirstOrDefault(t =>
                   t.Status == TrialStatus.Succeeded && t.Candidate == final.Candidate && Html.HyperparameterText(t.Hyperparameters) == settings)
               ?? (e.Best is null ? null : ranking.FirstOrDefault(r => r.Rank is not null && r.Trial.Candidate == e.Best)?.Trial);
    }
}
