using System.Diagnostics;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.AutoML;
using MLWorkbench.Models;
using MLWorkbench.Models.Ensemble;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Search;

/// <summary>
/// Ensemble selection (Caruana, Niculescu-Mizil, Crew and Ksikes, 2004; AutoGluon's weighted ensemble): starting from
/// nothing, add, with replacement, the member whose addition most lowers the loss of the weighted average of the members'
/// predictions (class probabilities for classifiers, values for regression and similarity), for a fixed number of rounds;
/// a member's weight is the share of rounds that picked it. The weights are fitted on one part of the rows and the
/// ensemble is judged against the search's winner on the other part, which the weights never saw; it is chosen only
/// when it wins there.
/// </summary>
internal static class EnsembleSelection
{
    /// <summary>Rounds of greedy selection, as AutoGluon's default (25): weights are multiples of 1/25.</summary>
    public const int Rounds = 25;

    /// <summary>This many of the best trials are offered as members, with the best trial of every other candidate.</summary>
    public const int MaxMembers = 8;

    /// <summary>
    /// The weights (one per member, summing to 1) that greedy selection with replacement gives on
    /// <paramref name="labels"/>; the loss is the task's primary loss, ties broken by cross-entropy for classifiers.
    /// </summary>
    public static double[] Fit(TaskKind task, float[] labels, IReadOnlyList<Predictions> members, int classes, int rounds = Rounds)
    {
        ArgumentOutOfRangeException.ThrowIfZero(members.Count);
        var counts = new int[members.Count];
        for (var round = 0; round < rounds; round++)
        {
            var best = -1;
            var bestLoss = (double.PositiveInfinity, double.PositiveInfinity);
            for (var m = 0; m < members.Count; m++)
            {
                counts[m]++;
                var loss = LossOf(task, labels, EnsembleModel.Blend(members, Weights(counts)), classes);
                counts[m]--;
                if (loss.CompareTo(bestLoss) < 0) (best, bestLoss) = (m, loss);
            }
            counts[best]++;
        }
        return Weights(counts);
    }

    /// <summary>
    /// Fits the weights of <paramref name="members"/> (the first is the search's winner) on a seeded half of the rows and
    /// judges the ensemble against the winner on the other half.
    /// </summary>
    /// <returns>The weights, both scores (primary metric) on the judging rows, how many rows each part has, and whether the ensemble won.</returns>
    public static EnsembleVerdict Judge(TaskKind task, float[] labels, IReadOnlyList<Predictions> members, int classes, int seed)
    {
        var order = Enumerable.Range(0, labels.Length).ToArray();
        new Random(seed).Shuffle(order);
        var fitRows = order[..(order.Length / 2)].Order().ToArray();
        var judgeRows = order[(order.Length / 2)..].Order().ToArray();
        var weights = Fit(task, Take(labels, fitRows), members.Select(m => Take(m, fitRows)).ToArray(), classes);
        var judged = members.Select(m => Take(m, judgeRows)).ToArray();
        var judgeLabels = Take(labels, judgeRows);
        var ensemble = TaskMetrics.Compute(task, judgeLabels, EnsembleModel.Blend(judged, weights), classes);
        var winner = TaskMetrics.Compute(task, judgeLabels, judged[0], classes);
        var primary = TaskMetrics.Primary(task);
        // A tie on the primary metric (SelectionRule: equal at 4 significant digits) keeps the single model, as the
        // leaderboard's rule keeps the faster and smaller of tied models; a lower log loss alone does not make a win.
        var tied = Results.SelectionRule.Tied(ensemble[primary], winner[primary]);
        var wins = weights.Count(w => w > 0) > 1 && !tied && LossOf(task, ensemble).CompareTo(LossOf(task, winner)) < 0;
        return new EnsembleVerdict(weights, ensemble, ensemble[primary], winner[primary], fitRows.Length, judgeRows.Length, wins, tied);
    }

    private static double[] Weights(int[] counts)
    {
        var total = (double)Math.Max(1, counts.Sum());
        return counts.Select(c => c / total).ToArray();
    }

    private static (double, double) LossOf(TaskKind task, float[] labels, Predictions predictions, int classes) =>
        LossOf(task, TaskMetrics.Compute(task, labels, predictions, classes));

    // The primary loss, then (classifiers) cross-entropy: accuracy moves in steps, and many blends tie on it. A NaN
    // (a member that diverged) is the worst loss, not, as CompareTo has it, the best.
    private static (double, double) LossOf(TaskKind task, IReadOnlyDictionary<string, double> metrics) =>
        (Finite(TaskMetrics.Loss(task, metrics)), Finite(metrics.TryGetValue(ClassificationMetrics.LogLoss, out var logLoss) ? logLoss : 0));

    private static double Finite(double loss) => double.IsNaN(loss) ? double.PositiveInfinity : loss;

    private static float[] Take(float[] values, int[] rows) => rows.Select(r => values[r]).ToArray();

    private static Predictions Take(Predictions p, int[] rows) =>
        new(Take(p.Values, rows), p.Probabilities is null ? null : rows.Select(r => p.Probabilities[r]).ToArray());
}

/// <summary>
/// Which of the offered members an ensemble may use, by what their refits are predicted to cost: a member's refit runs
/// after the search, outside its budget (issue 15: CPS1988's 60 s search was followed by 100 s of member refits), so the
/// members after the winner (whose refit is the final model's anyway) are admitted, best first, only while their predicted
/// refit seconds together stay within <see cref="RefitShare"/> of the search's seconds; a member that does not fit is
/// left out (a cheaper one after it may still fit) and the results say why.
/// </summary>
internal static class EnsembleAdmission
{
    /// <summary>The share of the search's seconds that the refits of the ensemble's members besides the winner may take.</summary>
    public const double RefitShare = 0.25;

    /// <summary>
    /// The members of <paramref name="offered"/> (the winner first) whose refits, predicted by <paramref name="refitSeconds"/>,
    /// fit in <see cref="RefitShare"/> of <paramref name="searchSeconds"/>, in their order, and a sentence for each one left out.
    /// </summary>
    public static (IReadOnlyList<EnsembleEntry> Admitted, List<string> LeftOut) Admit(IReadOnlyList<EnsembleEntry> offered,
        Func<TrialConfig, double> refitSeconds, double searchSeconds)
    {
        ArgumentNullException.ThrowIfNull(offered);
        ArgumentNullException.ThrowIfNull(refitSeconds);
        if (offered.Count == 0) return ([], []);
        var bound = RefitShare * Math.Max(0, searchSeconds);
        var admitted = new List<EnsembleEntry> { offered[0] };
        var leftOut = new List<string>();
        var spent = 0.0;
        foreach (var member in offered.Skip(1))
        {
            var predicted = refitSeconds(member.Config);
            if (double.IsFinite(predicted) && spent + predicted <= bound)
            {
                admitted.Add(member);
                spent += predicted;
                continue;
            }
            leftOut.Add(FormattableString.Invariant(
                $"trial {member.Number} ({member.Config.Trainer}): its refit is predicted at {predicted:0.#} s, more than the {Math.Max(0, bound - spent):0.#} s left of the {bound:0.#} s ({RefitShare * 100:0}% of the search's {searchSeconds:0.#} s) that the members' refits may take"));
        }
        return (admitted, leftOut);
    }
}

/// <summary>What <see cref="EnsembleSelection.Judge"/> found.</summary>
/// <param name="Weights">One weight per member (summing to 1), fitted on the first part of the rows.</param>
/// <param name="Metrics">Every metric of the ensemble on the judging rows.</param>
/// <param name="Score">The ensemble's primary metric on the judging rows.</param>
/// <param name="WinnerScore">The search winner's primary metric on the same rows.</param>
/// <param name="FitRows">Rows the weights were fitted on.</param>
/// <param name="JudgeRows">Rows the ensemble was judged on.</param>
/// <param name="Wins">True when the ensemble (of at least two members) has the lower loss on the judging rows.</param>
/// <param name="Tied">True when both primary scores are equal at 4 significant digits (<see cref="Results.SelectionRule.Tied"/>).</param>
internal sealed record EnsembleVerdict(double[] Weights, IReadOnlyDictionary<string, double> Metrics, double Score, double WinnerScore, int FitRows, int JudgeRows, bool Wins,
    bool Tied = false);

/// <summary>
/// The validation predictions of the best complete trials of this process, kept for <see cref="EnsembleSelection"/>: the
/// best <see cref="EnsembleSelection.MaxMembers"/> and the best trial of each candidate, the others dropped as better ones
/// arrive, so memory stays bounded however many trials run. The best of each candidate is kept because an ensemble gains
/// from members that err differently: a search that ran 200 trials, most of them LightGBM, would otherwise offer eight
/// near-copies of one model (measured on CPS1988). Every trial's predictions are of the same rows in the same order.
/// Thread-safe.
/// </summary>
internal sealed class EnsemblePool
{
    private readonly Lock _gate = new();
    private readonly List<EnsembleEntry> _entries = [];

    /// <summary>Offers a complete trial's predictions, with its mean loss (ties: the earlier trial ranks first).</summary>
    public void Offer(int number, TrialConfig config, double loss, Predictions predictions)
    {
        lock (_gate)
        {
            _entries.Add(new EnsembleEntry(number, config, loss, predictions));
            _entries.Sort((a, b) => a.Loss != b.Loss ? a.Loss.CompareTo(b.Loss) : a.Number.CompareTo(b.Number));
            var bestOfEach = _entries.GroupBy(e => e.Config.Trainer, StringComparer.Ordinal).Select(g => g.First()).ToHashSet();
            var kept = _entries.Where((e, rank) => rank < EnsembleSelection.MaxMembers || bestOfEach.Contains(e)).ToList();
            _entries.Clear();
            _entries.AddRange(kept);
        }
    }

    /// <summary>
    /// The kept trials with <paramref name="winner"/> first and the rest by loss; empty when the winner's predictions are
    /// not here (its trial ran in an earlier process).
    /// </summary>
    public IReadOnlyList<EnsembleEntry> WithWinnerFirst(int winner)
    {
        lock (_gate)
        {
            var first = _entries.FirstOrDefault(e => e.Number == winner);
            // Only predictions of the same shape blend: a classifier without class probabilities cannot be averaged.
            return first is null ? [] : [first, .. _entries.Where(e => e.Number != winner && SameShape(e.Predictions, first.Predictions))];
        }
    }

    private static bool SameShape(Predictions a, Predictions b) =>
        a.Values.Length == b.Values.Length && (a.Probabilities is null) == (b.Probabilities is null)
        && (a.Probabilities is null || a.Probabilities.Length == 0 || a.Probabilities[0].Length == b.Probabilities![0].Length);

    /// <summary>Drops every kept prediction.</summary>
    public void Clear()
    {
        lock (_gate) _entries.Clear();
    }

    /// <summary>The name under which a trial's validation predictions are kept in a store that keeps artifacts.</summary>
    public const string ArtifactName = "validation-predictions";

    /// <summary>
    /// Offers a complete trial's predictions (see <see cref="Offer"/>) and, in a store shared by workers on many machines,
    /// keeps them with the trial, so that whichever process finalizes the study can blend this trial too.
    /// </summary>
    public async Task OfferAsync(Trial trial, TrialConfig config, double loss, Predictions predictions, CancellationToken cancellationToken)
    {
        Offer(trial.Number, config, loss, predictions);
        if (trial.KeepsArtifacts) await trial.SaveArtifactAsync(ArtifactName, Write(config, predictions), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds the trials of <paramref name="trials"/> that this process did not run (another worker did) and that the pool
    /// would keep, with the predictions their workers kept in <paramref name="store"/>; a trial without them is left out.
    /// </summary>
    public async Task AdoptAsync(IEnumerable<StoredTrial> trials, IStudyStore store, CancellationToken cancellationToken)
    {
        HashSet<int> known;
        lock (_gate) known = [.. _entries.Select(e => e.Number)];
        var ranked = trials.Where(t => t.State == TrialState.Complete && t.Score is not null).OrderBy(t => t.Score).ThenBy(t => t.Number).ToArray();
        var bestOfEach = ranked.GroupBy(t => t.Config.Trainer, StringComparer.Ordinal).Select(g => g.First());
        foreach (var trial in ranked.Take(EnsembleSelection.MaxMembers).Union(bestOfEach).Where(t => !known.Contains(t.Number)))
        {
            if (await store.LoadArtifactAsync(trial.Number, ArtifactName, cancellationToken).ConfigureAwait(false) is not { } bytes) continue;
            var (config, predictions) = Read(bytes);
            Offer(trial.Number, config, trial.Score!.Value, predictions);
        }
    }

    // The configuration the trial ran (an ensemble member is refit with it), then the predictions, in one small binary record.
    internal static byte[] Write(TrialConfig config, Predictions predictions)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write((byte)1);
            writer.Write(config.Trainer);
            writer.Write(SqliteStudyStore.WriteParameters(config.Parameters));
            writer.Write(predictions.Values.Length);
            foreach (var v in predictions.Values) writer.Write(v);
            var classes = predictions.Probabilities is { Length: > 0 } p ? p[0].Length : predictions.Probabilities is null ? -1 : 0;
            writer.Write(classes);
            foreach (var row in predictions.Probabilities ?? [])
                foreach (var v in row) writer.Write(v);
        }
        return stream.ToArray();
    }

    internal static (TrialConfig Config, Predictions Predictions) Read(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
        if (reader.ReadByte() != 1) throw new InvalidDataException("The stored predictions were written by a newer MLWorkbench.");
        var config = new TrialConfig(reader.ReadString(), SqliteStudyStore.ReadParameters(reader.ReadString()));
        var values = new float[reader.ReadInt32()];
        for (var i = 0; i < values.Length; i++) values[i] = reader.ReadSingle();
        var classes = reader.ReadInt32();
        float[][]? probabilities = null;
        if (classes >= 0)
        {
            probabilities = new float[classes == 0 ? 0 : values.Length][];
            for (var r = 0; r < probabilities.Length; r++)
            {
                probabilities[r] = new float[classes];
                for (var c = 0; c < classes; c++) probabilities[r][c] = reader.ReadSingle();
            }
        }
        return (config, new Predictions(values, probabilities));
    }
}

/// <summary>One trial kept by <see cref="EnsemblePool"/>: its number, the configuration it ran, its loss and its validation predictions.</summary>
internal sealed record EnsembleEntry(int Number, TrialConfig Config, double Loss, Predictions Predictions);

/// <summary>What both objectives record about an ensemble they judged.</summary>
internal static class EnsembleReport
{
    /// <summary>The results' view of a verdict on <paramref name="members"/> (positive weights, heaviest first).</summary>
    public static Results.EnsembleInfo Describe(IReadOnlyList<EnsembleEntry> members, EnsembleVerdict verdict, string rows) => new()
    {
        Members = members.Select((m, i) => new Results.EnsembleMember { Number = m.Number, Candidate = m.Config.Trainer, Weight = verdict.Weights[i] })
            .Where(m => m.Weight > 0).OrderByDescending(m => m.Weight).ThenBy(m => m.Number).ToList(),
        FitRows = verdict.FitRows, JudgeRows = verdict.JudgeRows, Score = verdict.Score, WinnerScore = verdict.WinnerScore, Rows = rows,
        Reason = verdict.Wins
            ? $"the ensemble scored {verdict.Score:0.####} against the winner's {verdict.WinnerScore:0.####} on {verdict.JudgeRows:N0} rows its weights never saw"
            : verdict.Weights.Count(w => w > 0) < 2
                ? $"not chosen: greedy selection gave all the weight to trial {members[Array.FindIndex(verdict.Weights, w => w > 0)].Number}"
                : verdict.Tied
                    ? $"not chosen: it tied with the winner at {verdict.Score:0.####} on {verdict.JudgeRows:N0} rows its weights never saw, and a tie keeps the single model (faster and smaller)"
                    : $"not chosen: it scored {verdict.Score:0.####} against the winner's {verdict.WinnerScore:0.####} on {verdict.JudgeRows:N0} rows its weights never saw",
    };

    /// <summary>How the final model names an ensemble's members: "trial 12 lightgbm 0.48, trial 3 fasttree 0.32".</summary>
    public static Dictionary<string, object?> Hyperparameters(Results.EnsembleInfo info) => new()
    {
        ["members"] = string.Join(", ", info.Members.Select(m => $"trial {m.Number} {m.Candidate} {m.Weight:0.##}")),
    };
}

/// <summary>The building of an ensemble that won, the same for every task family's objective.</summary>
internal static class EnsembleBuild
{
    /// <summary>
    /// Fits each member with a positive weight through <paramref name="fitMember"/> (as the objective fits its winner),
    /// blends them, lets <paramref name="finish"/> score the blend on test and save it, and records the ensemble as chosen;
    /// when a member or the blend cannot be built, the winner stays the final model and the reason says why.
    /// </summary>
    public static async Task<TrialResult> BuildAsync<TData>(IReadOnlyList<EnsembleEntry> members, EnsembleVerdict verdict, Results.EnsembleInfo info,
        TrialResult winner, int number, TaskKind task, Func<TrialConfig, Task<ITrainedModel<TData>>> fitMember,
        Func<TrialResult, EnsembleModel<TData>, Task> finish) where TData : ILabelledData
    {
        var chosen = members.Select((m, i) => (m.Config, Weight: verdict.Weights[i])).Where(m => m.Weight > 0).ToArray();
        var fitted = new List<ITrainedModel<TData>>();
        var final = new TrialResult { Candidate = "ensemble", Family = ModelFamily.Ensemble.ToName(), Number = number, Hyperparameters = EnsembleReport.Hyperparameters(info) };
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var (config, _) in chosen) fitted.Add(await fitMember(config).ConfigureAwait(false));
            using var ensemble = new EnsembleModel<TData>(fitted, chosen.Select(m => m.Weight).ToArray(), task);
            fitted = [];
            final.TrainSeconds = clock.Elapsed.TotalSeconds;
            final.Metrics.Validation = new Dictionary<string, double>(verdict.Metrics);
            await finish(final, ensemble).ConfigureAwait(false);
            info.Chosen = true;
            info.Winner = winner;
            return final;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            info.Reason = $"it won ({info.Reason}), but could not be built: {MessageText.Failure(e)}";
            return winner;
        }
        finally
        {
            foreach (var model in fitted) model.Dispose();
        }
    }
}
