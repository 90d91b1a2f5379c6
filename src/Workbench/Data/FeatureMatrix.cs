namespace MLWorkbench.Data;

/// <summary>
/// Dense numeric features (row-major) with one label per row: the common input of every tabular model family.
/// For classification the label is the class index into <see cref="ClassNames"/>.
/// </summary>
internal sealed class FeatureMatrix : ILabelledData
{
    /// <summary>Creates a matrix; <paramref name="values"/> holds one row of <paramref name="featureNames"/>.Count numbers per label.</summary>
    public FeatureMatrix(float[] values, float[] labels, IReadOnlyList<string> featureNames, IReadOnlyList<string>? classNames = null)
    {
        if (featureNames.Count == 0) throw new ArgumentException("At least one feature is needed.", nameof(featureNames));
        if (values.Length != labels.Length * featureNames.Count)
            throw new ArgumentException("Values and labels do not describe the same number of rows.", nameof(values));
        Values = values;
        Labels = labels;
        FeatureNames = featureNames;
        ClassNames = classNames;
    }

    /// <summary>All feature values, row by row.</summary>
    public float[] Values { get; }

    /// <summary>One label per row: the value (regression) or the class index (classification).</summary>
    public float[] Labels { get; }

    /// <summary>Names of the columns of <see cref="Values"/>.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Class names by index for classification; null for regression.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Number of rows.</summary>
    public int Rows => Labels.Length;

    /// <summary>Number of feature columns.</summary>
    public int Columns => FeatureNames.Count;

    /// <summary>The features of one row.</summary>
    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Columns, Columns);

    /// <summary>The rows at <paramref name="indices"/>, as a new matrix.</summary>
    public FeatureMatrix Subset(IReadOnlyList<int> indices)
    {
        var values = new float[indices.Count * Columns];
        var labels = new float[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            Row(indices[i]).CopyTo(values.AsSpan(i * Columns, Columns));
            labels[i] = Labels[indices[i]];
        }
        return new FeatureMatrix(values, labels, FeatureNames, ClassNames);
    }
}
