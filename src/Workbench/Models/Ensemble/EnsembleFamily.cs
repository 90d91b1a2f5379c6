using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

[assembly: ModelFamily<MLWorkbench.Models.Ensemble.EnsembleFamily>]

namespace MLWorkbench.Models.Ensemble;

/// <summary>
/// The ensemble family's registration: one bundle format per kind of task, each reading an <see cref="EnsembleModel{TData}"/>
/// bundle by loading every member through its own registered format (from the entries under <c>member{i}/</c>) and
/// averaging their predictions with the saved weights. A member may not itself be an ensemble.
/// </summary>
internal sealed class EnsembleFamily : IModelFamily
{
    /// <summary>A tabular ensemble (regression, binary, multiclass): members share the bundle's featurizer.</summary>
    public const string TabularFormat = "ensemble-tabular";

    /// <summary>An image classification ensemble.</summary>
    public const string ImageFormat = "ensemble-image";

    /// <summary>A text classification ensemble.</summary>
    public const string TextFormat = "ensemble-text";

    /// <summary>A sentence similarity ensemble.</summary>
    public const string PairFormat = "ensemble-pairs";

    private const string Libraries = "a native library one of its members needs";

    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Tabular(TabularFormat, "weighted ensemble", Libraries, bundle =>
        {
            var (members, weights) = Members(bundle);
            var loaders = members.Select(m => m.Format.LoadTabular(m.Reading)).ToArray();
            return () => new EnsembleModel<FeatureMatrix>(loaders.Select(load => load()).ToArray(), weights, bundle.Task);
        }),
        Examples(ImageFormat, TaskKind.ImageClassification),
        Examples(TextFormat, TaskKind.TextClassification),
        Examples(PairFormat, TaskKind.SentenceSimilarity),
    ];

    private static ModelFormat Examples(string name, TaskKind task) => ModelFormat.Examples(name, task, Libraries, bundle =>
    {
        var (members, weights) = Members(bundle);
        var served = new List<ColumnServing>();
        try
        {
            foreach (var member in members) served.Add(member.Format.LoadExamples(member.Reading));
            return new EnsembleServing(served, weights, bundle.Task.IsClassification() ? bundle.ClassNames : null);
        }
        catch
        {
            foreach (var s in served) s.Dispose();
            throw;
        }
    });

    // Each member's format and its own view of the bundle, checked before any member loads.
    private static (List<(ModelFormat Format, BundleReading Reading)> Members, double[] Weights) Members(BundleReading bundle)
    {
        var state = bundle.Entries.Json<EnsembleState>(EnsembleModel<FeatureMatrix>.StateEntry);
        if (state.Formats.Count == 0 || state.Formats.Count != state.Weights.Count || state.Weights.Any(w => !double.IsFinite(w) || w <= 0))
            throw new InvalidDataException($"{EnsembleModel<FeatureMatrix>.StateEntry} lists {state.Formats.Count} members and {state.Weights.Count} weights (each must be positive)");
        var members = new List<(ModelFormat, BundleReading)>();
        for (var i = 0; i < state.Formats.Count; i++)
        {
            var format = ModelFamilies.Format(state.Formats[i]);
            // A member whose package the application lacks is not damage: say which package to add.
            if (format is null && FormatPackages.Of(state.Formats[i]) is { Count: > 0 } packages)
                throw ExtensionRegistry.Missing(bundle.Path, state.Formats[i], packages);
            if (format is null || state.Formats[i].StartsWith("ensemble-", StringComparison.Ordinal) || !format.Tasks.Contains(bundle.Task))
                throw new InvalidDataException($"member {i} has format '{state.Formats[i]}', which is not a {bundle.Task.ToName()} model this MLWorkbench reads");
            members.Add((format, bundle with { Entries = bundle.Entries.Under($"member{i}/") }));
        }
        return (members, [.. state.Weights]);
    }
}

/// <summary>
/// Serves an image, text or pair ensemble: every member checks and predicts the rows itself; a row that any member
/// cannot predict gets that member's error; the others get the weighted average of the members' class probabilities
/// (the most probable class is the label) or scores.
/// </summary>
internal sealed class EnsembleServing(IReadOnlyList<ColumnServing> members, IReadOnlyList<double> weights, IReadOnlyList<string>? classNames) : ColumnServing
{
    public override IReadOnlyList<RowResult> PredictBatch(IEnumerable<IReadOnlyDictionary<string, string?>?> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows as IReadOnlyList<IReadOnlyDictionary<string, string?>?> ?? rows.ToList();
        var predicted = members.Select(m => m.PredictBatch(list)).ToArray();
        return Enumerable.Range(0, list.Count).Select(r =>
            predicted.FirstOrDefault(p => !p[r].Succeeded) is { } failed ? failed[r] : new RowResult(r, Blend(predicted.Select(p => p[r].Prediction!).ToArray()), null)).ToArray();
    }

    private Prediction Blend(IReadOnlyList<Prediction> predictions)
    {
        if (classNames is null) return new Prediction((float)predictions.Select((p, m) => weights[m] * (p.Value ?? 0)).Sum(), null, null);
        var probabilities = classNames.ToDictionary(c => c, c => (float)predictions.Select((p, m) => weights[m] * (p.Probabilities?.GetValueOrDefault(c) ?? 0)).Sum(), StringComparer.Ordinal);
        // The first class wins a tie, as Predictions.FromProbabilities does.
        var label = classNames.Aggregate((a, b) => probabilities[b] > probabilities[a] ? b : a);
        return new Prediction(null, label, probabilities);
    }

    public override float[] Embed(string text) =>
        throw new NotSupportedException("An ensemble has no sentence embeddings; only MiniLM bi-encoder models (minilm-zeroshot, minilm-biencoder) embed texts.");

    public override Prediction PredictProbe() => Blend(members.Select(m => m.PredictProbe()).ToArray());

    public override void Dispose()
    {
        foreach (var member in members) member.Dispose();
    }
}
