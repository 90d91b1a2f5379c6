namespace MLWorkbench.Data;

/// <summary>
/// Dense numeric features (row-major) with one label per row: the common input of every tabular model family.
/// </summary>
public sealed class FeatureMatrix
{
    /// <summary>Creates a matrix; <paramref name="values"/> holds one row of <paramref name="featureNames"/>.Count numbers per label.</summary>
    public FeatureMatrix(float[] values, float[] labels, IReadOnlyList<string> featureNames)
    {
        if (featureNames.Count == 0) throw new ArgumentException("At least one feature is needed.", nameof(featureNames));
        if (values.Length != labels.Length * featureNames.Count)
            throw new ArgumentException("Values and labels do not describe the same number of rows.", nameof(values));
        Values = values;
        Labels = labels;
        FeatureNames = featureNames;
    }

    /// <summary>All feature values, row by row.</summary>
    public float[] Values { get; }

    /// <summary>One label per row.</summary>
    public float[] Labels { get; }

    /// <summary>Names of the columns of <see cref="Values"/>.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Number of rows.</summary>
    public int Rows => Labels.Length;

    /// <summary>Number of feature columns.</summary>
    public int Columns => FeatureNames.Count;

    /// <summary>The features of one row.</summary>
    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Columns, Columns);
}
