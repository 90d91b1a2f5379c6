using System.Globalization;
using MLWorkbench.Reports.Statistics;
using MLWorkbench.Results;

namespace MLWorkbench.Reports;

/// <summary>Two top models compared on the same rows or folds; <see cref="Result"/> is null when they share neither.</summary>
/// <param name="First">The higher-ranked model.</param>
/// <param name="Second">The lower-ranked model.</param>
/// <param name="Result">The paired test, or null.</param>
/// <param name="Adjusted">The p-value after Holm's correction over the experiment's family of comparisons (NaN without a test).</param>
internal sealed record Comparison(RankedTrial First, RankedTrial Second, PairedResult? Result, double Adjusted);

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
    /// <param name="schemaVersion">The schema version of the file it came from (files before 1.4 broke ties by run order).</param>
    public ExperimentAnalysis(ExperimentResult experiment, int number, bool compare = true, string? schemaVersion = ResultsFile.CurrentSchemaVersion)
    {
        Experiment = experiment;
        Number = number;
        Basis = TrialRanking.Basis(experiment);
        TieBreak = TrialRanking.TieBreakOf(experiment, schemaVersion);
        IsBinary = experiment.Task == "binary" || experiment.ClassNames is { Count: 2 };
        IsClassification = IsBinary || experiment.ClassNames is not null || experiment.Task is "multiclass" or "image-classification" or "text-classification";
        IsRegression = !IsClassification && experiment.Task is "regression" or "sentence-similarity";
        Classes = IsClassification ? CountClasses(experiment, IsBinary) : 0;
        Final = experiment.AutoML?.Final;
        Selected = Final ?? (experiment.Best is null ? null : BestTrial(experiment, TieBreak));
        SelectedRow = Final is null ? Selected : ChosenTrial(experiment, Final);
        // Ties broken as the runner broke them, so every table and chart ranks the saved model first.
        Ranking = TrialRanking.Rank(experiment, SelectedRow, TieBreak);
        FinalInterval = Final is null || !compare ? null : RowInterval(Final);
        Baseline = compare ? Baselines.For(this) : null;
        Comparisons = compare ? Compare() : [];
    }

    public ExperimentResult Experiment { get; }

    /// <summary>Position in the suite, from 1; also the experiment's anchor.</summary>
    public int Number { get; }

    public string Anchor => $"experiment-{Number}";

    public string Name => Experiment.Name;

    public string Metric => Experiment.PrimaryMetric;

    public RankBasis Basis { get; }

    /// <summary>How the runner broke ties on the selection score.</summary>
    public TieBreak TieBreak { get; }

    /// <summary>The tie rule in words, as the page states it.</summary>
    public string TieRule => TrialRanking.TieRule(Experiment, TieBreak);

    /// <summary>True when two scores on the ranking basis are a tie under <see cref="TieBreak"/>.</summary>
    public bool Tied(double first, double second) => TrialRanking.Tied(first, second, Basis == RankBasis.Test ? TieBreak.RunOrder : TieBreak);

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

    /// <summary>The mean or majority-class predictor on the test rows, when one can be scored.</summary>
    public Baseline? Baseline { get; }

    public List<Comparison> Comparisons { get; }

    /// <summary>
    /// The model a user ships: the AutoML final model, else the selected trial; the one whose name and test
    /// score the summary, the decision block, the leaderboard tag and the runs index all show.
    /// </summary>
    public TrialResult? Shipped => Final ?? Selected;

    /// <summary>How the page names <see cref="Shipped"/>.</summary>
    public string? ShippedName => Final is not null ? $"{Final.Candidate} (final)" : Selected is { } s ? TrialRanking.Name(s) : null;

    /// <summary>The test primary metric of <see cref="Shipped"/>, when finite.</summary>
    public double? ShippedTest => Shipped is { } s ? TrialRanking.TestPrimary(s, Metric) : null;

    /// <summary>Trials of the Holm family: every paired comparison in <see cref="Comparisons"/> with a p-value, and the baseline's.</summary>
    public int Family => Comparisons.Count(c => c.Result is { } r && !double.IsNaN(r.PValue)) + (Baseline?.Comparison is { } b && !double.IsNaN(b.PValue) ? 1 : 0);

    public int TestRows => Experiment.TestLabels?.Count ?? 0;

    /// <summary>The default settings of the trial's candidate, or null when the results do not record them.</summary>
    public Dictionary<string, object?>? DefaultsOf(TrialResult trial) =>
        Experiment.CandidateDefaults is { } all && all.TryGetValue(trial.Candidate, out var defaults) ? defaults : null;

    /// <summary>Class names by index; "class 0", "class 1", ... where the results do not name them.</summary>
    public string ClassName(int index) =>
        Experiment.ClassNames is { } names && index < names.Count ? names[index] : $"class {index}";

    /// <summary>"validation rmse" (or "test rmse" for files without validation scores): the score the leaderboard ranks by.</summary>
    public string BasisLabel => Basis == RankBasis.Test ? $"test {Metric}" : $"validation {Metric}";

    /// <summary>The 95% interval of the trial's test score: percentile bootstrap over the test rows; null without per-row predictions.</summary>
    public Interval? TestInterval(TrialResult trial)
    {
        if (intervals.TryGetValue(trial, out var cached)) return cached;
        var interval = ReferenceEquals(trial, Final) ? FinalInterval ?? RowInterval(trial) : RowInterval(trial);
        intervals[trial] = interval;
        return interval;
    }

    /// <summary>The 95% interval of the trial's validation score: mean ± t·sd/√k over its folds; null without folds.</summary>
    public Interval? ValidationInterval(TrialResult trial) => Bootstrap.FoldInterval(FoldValues(trial));

    /// <summary>The primary metric of <paramref name="trial"/> per fold (empty without folds).</summary>
    public double[] FoldValues(TrialResult trial) =>
        [.. (trial.Folds ?? []).Select(f => f is not null && f.TryGetValue(Metric, out var v) ? v : double.NaN)];

    /// <summary>
    /// The sentence about the two best models: whether they can be told apart at a family-wise error rate of
    /// 5% (Holm over every comparison of the experiment), or null when there are not two ranked models with
    /// per-row or per-fold data.
    /// </summary>
    public string? Verdict()
    {
        var top = Comparisons.FirstOrDefault(c => c.First.Rank == 1 && c.Second.Rank == 2);
        if (top?.Result is not { } r || double.IsNaN(r.PValue)) return null;
        string first = TrialRanking.Name(top.First.Trial), second = TrialRanking.Name(top.Second.Trial);
        var p = $"{Html.P(top.Adjusted)}, Holm-adjusted over {Count(Family, "comparison")}";
        return top.Adjusted >= 0.05
            ? $"{first} and {second} cannot be told apart {Units(r)} ({p})."
            : FirstIsBetter(r)
                ? $"{first} is better than {second} {Units(r)} ({p})."
                : $"{second} is better than {first} {Units(r)} ({p}), although {first} ranks higher on {BasisLabel}.";
    }

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

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
        var pairs = new List<(RankedTrial, RankedTrial, PairedResult?)>();
        for (var i = 0; i < top.Count; i++)
            for (var j = i + 1; j < top.Count; j++)
                pairs.Add((top[i], top[j], Paired(top[i].Trial, top[j].Trial)));
        // One family per experiment: the pairs and the shipped model against the baseline.
        var ps = pairs.Select(p => p.Item3?.PValue ?? double.NaN).Append(Baseline?.Comparison?.PValue ?? double.NaN).ToArray();
        var adjusted = Holm.Adjust(ps);
        if (Baseline?.Comparison is not null) Baseline.Adjusted = adjusted[^1];
        return [.. pairs.Select((p, i) => new Comparison(p.Item1, p.Item2, p.Item3, adjusted[i]))];
    }

    private PairedResult? Paired(TrialResult first, TrialResult second)
    {
        if (RowMetric(first) is { } a && RowMetric(second) is { } b)
            return PairedTests.PairedBootstrap(TestRows, a, b);
        double[] fa = FoldValues(first), fb = FoldValues(second);
        if (fa.Length >= 2 && fa.Length == fb.Length && fa.Concat(fb).All(double.IsFinite))
            return PairedTests.CorrectedResampledTTest(fa, fb).ToPaired();
        return null;
    }

    /// <summary>The shipped model's primary metric on a sample of test rows, for comparisons with the baseline.</summary>
    internal Func<int[], double>? ShippedRowMetric() => Shipped is { } s ? RowMetric(s) : null;

    private static int CountClasses(ExperimentResult e, bool binary)
    {
        if (e.ClassNames is { Count: > 0 } names) return Math.Max(2, names.Count);
        if (binary) return 2;
        var seen = (e.TestLabels ?? []).Concat((e.Trials ?? []).SelectMany(t => t.TestPredictions ?? []))
            .Where(double.IsFinite).Select(RowMetrics.ClassOf).DefaultIfEmpty(1).Max();
        return Math.Max(2, seen + 1);
    }

    // The trial of the recorded best candidate that the runner kept: by the selection rule (schema 1.4), else the first
    // in run order with the best validation score.
    private static TrialResult? BestTrial(ExperimentResult e, TieBreak tieBreak)
    {
        var candidates = (e.Trials ?? []).Where(t => t.Candidate == e.Best && t.Status == TrialStatus.Succeeded).ToList();
        if (candidates.Count <= 1) return candidates.FirstOrDefault();
        if (tieBreak == TieBreak.Rule && candidates.Where(t => SelectionRule.IsScored(t, e.PrimaryMetric)).ToList() is { Count: > 0 } ruled)
            return ruled.Order(Comparer<TrialResult>.Create((a, b) => SelectionRule.Compare(a, b, e.PrimaryMetric, e.HigherIsBetter))).First();
        var scored = candidates.Where(t => TrialRanking.ValidationPrimary(t, e.PrimaryMetric) is not null).ToList();
        if (scored.Count == 0) return candidates[0];
        var best = e.HigherIsBetter ? scored.Max(t => TrialRanking.ValidationPrimary(t, e.PrimaryMetric)) : scored.Min(t => TrialRanking.ValidationPrimary(t, e.PrimaryMetric));
        return scored.First(t => TrialRanking.ValidationPrimary(t, e.PrimaryMetric) == best);
    }

    // The search trial the final model refits: the one with its number, else the best by validation with the
    // same candidate and settings, else the best trial of the recorded best candidate.
    private static TrialResult? ChosenTrial(ExperimentResult e, TrialResult final)
    {
        var trials = e.Trials ?? [];
        if (final.Number is { } number && trials.FirstOrDefault(t => t.Number == number && t.Status == TrialStatus.Succeeded) is { } numbered) return numbered;
        var settings = Html.HyperparameterText(final.Hyperparameters);
        var ranked = TrialRanking.Rank(e).Where(r => r.Rank is not null).Select(r => r.Trial).ToList();
        return ranked.FirstOrDefault(t => t.Candidate == final.Candidate && Html.HyperparameterText(t.Hyperparameters) == settings)
               ?? (e.Best is null ? null : ranked.FirstOrDefault(t => t.Candidate == e.Best));
    }
}
