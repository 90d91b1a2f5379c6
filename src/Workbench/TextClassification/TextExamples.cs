using System.Collections.Concurrent;
using MLWorkbench.Data;
using MLWorkbench.Models;

namespace MLWorkbench.TextClassification;

/// <summary>
/// Labelled texts: the texts, their class indices and the class names, with a cache of computed features (e.g. sentence
/// embeddings) that subsets (train, validation, test) share with the set they came from.
/// </summary>
internal sealed class TextExamples : ILabelledData
{
    private readonly ConcurrentDictionary<(string Featurizer, string Text), float[]> _features;

    /// <summary>Creates examples from texts, class indices (0-based, as floats) and class names.</summary>
    /// <exception cref="ArgumentException">The counts differ or a label is not a class index.</exception>
    public TextExamples(IReadOnlyList<string> texts, float[] labels, IReadOnlyList<string> classNames)
        : this(texts, labels, classNames, new ConcurrentDictionary<(string, string), float[]>())
    {
        if (texts.Count != labels.Length) throw new ArgumentException($"{texts.Count} texts but {labels.Length} labels.", nameof(labels));
        if (labels.Any(l => l < 0 || l >= classNames.Count || l != MathF.Floor(l)))
            throw new ArgumentException($"Every label must be a class index below {classNames.Count}.", nameof(labels));
    }

    private TextExamples(IReadOnlyList<string> texts, float[] labels, IReadOnlyList<string> classNames,
        ConcurrentDictionary<(string, string), float[]> features)
    {
        Texts = texts;
        Labels = labels;
        ClassNames = classNames;
        _features = features;
    }

    /// <summary>The texts, in example order (empty strings where the file had none).</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <inheritdoc />
    public int Rows => Texts.Count;

    /// <inheritdoc />
    public float[] Labels { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The examples at <paramref name="indices"/>, sharing this set's feature cache.</summary>
    public TextExamples Subset(IReadOnlyList<int> indices) =>
        new(indices.Select(i => Texts[i]).ToArray(), indices.Select(i => Labels[i]).ToArray(), ClassNames, _features);

    /// <summary>
    /// These examples followed by <paramref name="other"/>'s (the same classes; e.g. training and validation examples
    /// for the final refit), sharing this set's feature cache.
    /// </summary>
    /// <exception cref="ArgumentException">The two sets name different classes.</exception>
    public TextExamples Concat(TextExamples other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!ClassNames.SequenceEqual(other.ClassNames)) throw new ArgumentException("Both sets must name the same classes in the same order.", nameof(other));
        return new([.. Texts, .. other.Texts], [.. Labels, .. other.Labels], ClassNames, _features);
    }

    /// <summary>
    /// Features of every text from <paramref name="compute"/>, which gets only the texts not yet cached under
    /// <paramref name="featurizer"/> and returns one vector per text.
    /// </summary>
    internal float[][] CachedFeatures(string featurizer, Func<IReadOnlyList<string>, float[][]> compute)
    {
        var result = new float[Rows][];
        var missing = new List<int>();
        for (var i = 0; i < Rows; i++)
            if (_features.TryGetValue((featurizer, Texts[i]), out var known)) result[i] = known;
            else missing.Add(i);
        if (missing.Count == 0) return result;
        var distinct = missing.Select(i => Texts[i]).Distinct(StringComparer.Ordinal).ToArray();
        var computed = compute(distinct);
        for (var j = 0; j < distinct.Length; j++) _features[(featurizer, distinct[j])] = computed[j];
        foreach (var i in missing) result[i] = _features[(featurizer, Texts[i])];
        return result;
    }
}
