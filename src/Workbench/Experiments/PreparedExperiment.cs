using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

namespace MLWorkbench.Experiments;

/// <summary>
/// An experiment whose data is loaded, checked, split and featurized: everything that can fail because of
/// bad input has been checked before any model trains.
/// </summary>
internal sealed class PreparedExperiment
{
    internal PreparedExperiment(ExperimentSpec spec, TabularData data, HoldoutSplit split, TabularFeaturizer featurizer,
        IReadOnlyList<ICandidate<FeatureMatrix>> candidates)
    {
        Spec = spec;
        Data = data;
        Split = split;
        Featurizer = featurizer;
        Candidates = candidates;
        Train = featurizer.Transform(data, split.Train);
        // Networks stop early on a seeded tenth of the training rows, so the validation rows stay a fair judge.
        var shuffled = split.Train.ToArray();
        new Random(spec.Seed).Shuffle(shuffled);
        var cut = Math.Max(1, shuffled.Length / 10);
        TrainWithoutStopping = featurizer.Transform(data, shuffled[cut..]);
        Stopping = featurizer.Transform(data, shuffled[..cut]);
        Validation = featurizer.Transform(data, split.Validation);
        Test = featurizer.Transform(data, split.Test);
    }

    /// <summary>The specification it came from.</summary>
    public ExperimentSpec Spec { get; }

    /// <summary>The candidates to try, in order.</summary>
    public IReadOnlyList<ICandidate<FeatureMatrix>> Candidates { get; }

    internal TabularData Data { get; }
    internal HoldoutSplit Split { get; }
    internal TabularFeaturizer Featurizer { get; }
    internal FeatureMatrix Train { get; }
    internal FeatureMatrix TrainWithoutStopping { get; }
    internal FeatureMatrix Stopping { get; }
    internal FeatureMatrix Validation { get; }
    internal FeatureMatrix Test { get; }

    /// <summary>Loads and checks the data and candidates of <paramref name="spec"/>.</summary>
    /// <exception cref="WorkbenchInputException">Something in the spec or its data is wrong.</exception>
    public static PreparedExperiment Prepare(ExperimentSpec spec)
    {
        var known = TrainerCatalog.NamesFor(spec.Task);
        var candidates = spec.Candidates.Count == 0
            ? TrainerCatalog.For(spec.Task).Select(t => t.CreateDefault(spec.Task)).ToArray()
            : spec.Candidates.Select(name => TrainerCatalog.Find(name) is { } t && t.Tasks.Contains(spec.Task)
                ? t.Create(spec.Task, spec.CandidateSettings.GetValueOrDefault(name) ?? new Dictionary<string, object>()) : throw new WorkbenchInputException(
                $"Experiment '{spec.Name}' names candidate '{name}', which does not serve task {spec.Task.ToName()}; candidates for it: {string.Join(", ", known)}.")).ToArray();
        var data = TabularData.LoadCsv(spec.DataPath, spec.Encoding);
        data.ColumnIndex(spec.Label);
        var split = HoldoutSplit.Create(data.Rows.Count, spec.ValidationFraction, spec.TestFraction, spec.Seed);
        var featurizer = TabularFeaturizer.Fit(data, spec.Label, spec.Task, split.Train);
        return new PreparedExperiment(spec, data, split, featurizer, candidates);
    }

    /// <summary>The data set's identity as the results file records it.</summary>
    public DatasetInfo DatasetInfo => new()
    {
        Name = System.IO.Path.GetFileNameWithoutExtension(Data.Path),
        Path = Data.Path,
        Sha256 = Data.Sha256,
        Rows = Data.Rows.Count,
        Columns = Data.ColumnNames.Count,
        Label = Spec.Label,
        Features = Featurizer.UsedColumns.ToList(),
        Dropped = new Dictionary<string, string>(Featurizer.Dropped),
    };
}
