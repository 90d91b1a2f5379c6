using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Models.Ensemble;

/// <summary>The weighted average of members' predictions that every ensemble uses, in search and in serving alike.</summary>
internal static class EnsembleModel
{
    /// <summary>
    /// Blends predictions of the same rows: classifiers' class probabilities are averaged with <paramref name="weights"/>
    /// (the predicted class is the most probable of the average); regression and similarity values are averaged.
    /// </summary>
    public static Predictions Blend(IReadOnlyList<Predictions> members, IReadOnlyList<double> weights)
    {
        var rows = members[0].Values.Length;
        if (members[0].Probabilities is not null)
        {
            var blended = new float[rows][];
            for (var r = 0; r < rows; r++)
            {
                var p = new double[members[0].Probabilities![r].Length];
                for (var m = 0; m < members.Count; m++)
                {
                    if (weights[m] == 0) continue;
                    var q = members[m].Probabilities![r];
                    for (var c = 0; c < p.Length; c++) p[c] += weights[m] * q[c];
                }
                blended[r] = p.Select(v => (float)v).ToArray();
            }
            return Predictions.FromProbabilities(blended);
        }
        var values = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            double v = 0;
            for (var m = 0; m < members.Count; m++) if (weights[m] != 0) v += weights[m] * members[m].Values[r];
            values[r] = (float)v;
        }
        return Predictions.Regression(values);
    }

    /// <summary>The bundle format of an ensemble for <paramref name="task"/>.</summary>
    public static string FormatOf(TaskKind task) => task switch
    {
        TaskKind.ImageClassification => EnsembleFamily.ImageFormat,
        TaskKind.TextClassification => EnsembleFamily.TextFormat,
        TaskKind.SentenceSimilarity => EnsembleFamily.PairFormat,
        _ => EnsembleFamily.TabularFormat,
    };
}

/// <summary>
/// A weighted ensemble of trained models of one task (chosen by <c>EnsembleSelection</c> in an AutoML search): it
/// predicts by <see cref="EnsembleModel.Blend"/>, and is saved as one bundle that holds each member's own entries under
/// <c>member{i}/</c> and <c>ensemble.json</c> (their formats and weights). It owns its members.
/// </summary>
internal sealed class EnsembleModel<TData> : ITrainedModel<TData>, IBundledModel where TData : ILabelledData
{
    /// <summary>The entry that lists the members' formats and weights.</summary>
    public const string StateEntry = "ensemble.json";

    private readonly IReadOnlyList<ITrainedModel<TData>> _members;
    private readonly IReadOnlyList<double> _weights;
    private readonly TaskKind _task;

    /// <summary>An ensemble of <paramref name="members"/> with <paramref name="weights"/> (one each, positive).</summary>
    public EnsembleModel(IReadOnlyList<ITrainedModel<TData>> members, IReadOnlyList<double> weights, TaskKind task)
    {
        if (members.Count == 0 || members.Count != weights.Count) throw new ArgumentException("An ensemble needs members, one weight each.", nameof(weights));
        (_members, _weights, _task) = (members, weights, task);
    }

    /// <summary>The members' weights, in order.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <inheritdoc/>
    public Predictions Predict(TData data) => EnsembleModel.Blend(_members.Select(m => m.Predict(data)).ToArray(), _weights);

    /// <inheritdoc/>
    public IReadOnlyList<Curve> Curves => [];

    /// <inheritdoc/>
    public string Format => EnsembleModel.FormatOf(_task);

    /// <inheritdoc/>
    public IEnumerable<string> MemberFormats => _members.OfType<IBundledModel>().SelectMany(m => m.MemberFormats.Prepend(m.Format));

    /// <inheritdoc/>
    public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        var formats = new List<string>();
        for (var i = 0; i < _members.Count; i++)
        {
            if (_members[i] is not IBundledModel bundled) throw new NotSupportedException($"Member {i} of the ensemble ({_members[i].GetType().Name}) cannot be saved as a bundle.");
            var own = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            bundled.Save(own, assets);
            foreach (var (name, bytes) in own) entries[$"member{i}/{name}"] = bytes;
            formats.Add(bundled.Format);
        }
        entries[StateEntry] = BundleEntries.ToJson(new EnsembleState { Formats = formats, Weights = [.. _weights] });
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var member in _members) member.Dispose();
    }
}

/// <summary>The members of an ensemble bundle: each one's format and weight, in order (entries under <c>member{i}/</c>).</summary>
internal sealed class EnsembleState
{
    /// <summary>Each member's bundle format.</summary>
    public List<string> Formats { get; set; } = [];

    /// <summary>Each member's weight.</summary>
    public List<double> Weights { get; set; } = [];
}
