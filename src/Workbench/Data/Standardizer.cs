namespace MLWorkbench.Data;

/// <summary>
/// Per-column mean and standard deviation learned from training rows; gradient-based models train on
/// standardized inputs so that one learning rate suits every column.
/// </summary>
internal sealed class Standardizer
{
    private readonly float[] _mean;
    private readonly float[] _scale;

    private Standardizer(float[] mean, float[] scale) { _mean = mean; _scale = scale; }

    /// <summary>The learned means and scales, one per feature column (what a model bundle stores).</summary>
    internal (float[] Mean, float[] Scale) ToState() => (_mean.ToArray(), _scale.ToArray());

    /// <summary>Rebuilds a standardizer from <see cref="ToState"/>.</summary>
    /// <exception cref="InvalidDataException">The arrays differ in length or a scale is not a positive number.</exception>
    internal static Standardizer FromState(float[] mean, float[] scale)
    {
        if (mean.Length != scale.Length || scale.Any(s => !(s > 0) || !float.IsFinite(s)) || mean.Any(m => !float.IsFinite(m)))
            throw new InvalidDataException("the stored standardization is inconsistent");
        return new Standardizer(mean.ToArray(), scale.ToArray());
    }

    public static Standardizer Fit(FeatureMatrix x)
    {
        var mean = new float[x.Columns];
        var scale = new float[x.Columns];
        for (var c = 0; c < x.Columns; c++)
        {
            double sum = 0, sumSq = 0;
            for (var r = 0; r < x.Rows; r++) { double v = x.Values[r * x.Columns + c]; sum += v; sumSq += v * v; }
            var m = sum / x.Rows;
            var sd = Math.Sqrt(Math.Max(sumSq / x.Rows - m * m, 0));
            mean[c] = (float)m;
            scale[c] = sd > 1e-12 ? (float)sd : 1f;
        }
        return new Standardizer(mean, scale);
    }

    public float[] Transform(FeatureMatrix x)
    {
        var result = new float[x.Values.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var c = i % x.Columns;
            result[i] = (x.Values[i] - _mean[c]) / _scale[c];
        }
        return result;
    }

    /// <summary>Mean and standard deviation of a label vector, for models that learn on a standardized target.</summary>
    public static (float Mean, float Scale) FitLabel(float[] y)
    {
        var mean = y.Average();
        var sd = Math.Sqrt(y.Select(v => (v - mean) * (v - mean)).Average());
        return (mean, sd > 1e-12 ? (float)sd : 1f);
    }
}
