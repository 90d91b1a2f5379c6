namespace MLWorkbench.AutoML;

/// <summary>
/// Optuna's univariate Parzen estimator on [0, 1]: a mixture of truncated Gaussians, one per observation, plus a
/// wide prior kernel at the centre. Each kernel's width is the larger distance to its neighbours (the outermost
/// ones use their inner neighbour), clipped to [1 / min(100, n + 1), 1] ("magic clip").
/// </summary>
internal sealed class NumericParzen
{
    private const int MaxRejections = 100;
    private readonly double[] mus;
    private readonly double[] sigmas;
    private readonly double[] weights;
    private readonly double[] logNormalizers;

    /// <summary>Builds the estimator from <paramref name="observations"/>, given in trial order (older weigh less beyond 25).</summary>
    public NumericParzen(IReadOnlyList<double> observations)
    {
        int n = observations.Count;
        mus = [.. observations, 0.5];
        sigmas = new double[n + 1];
        if (n > 0)
        {
            var order = Enumerable.Range(0, n).OrderBy(i => observations[i]).ThenBy(i => i).ToArray();
            var sorted = new double[n + 2];
            sorted[0] = 0;
            sorted[n + 1] = 1;
            for (int i = 0; i < n; i++) sorted[i + 1] = observations[order[i]];
            var widths = new double[n];
            for (int i = 0; i < n; i++) widths[i] = Math.Max(sorted[i + 1] - sorted[i], sorted[i + 2] - sorted[i + 1]);
            if (n >= 2)
            {
                widths[0] = sorted[2] - sorted[1];
                widths[n - 1] = sorted[n] - sorted[n - 1];
            }
            double minSigma = 1 / Math.Min(100.0, 1 + n);
            for (int i = 0; i < n; i++) sigmas[order[i]] = Math.Clamp(widths[i], minSigma, 1);
        }
        sigmas[n] = 1;
        weights = TpeWeights.WithPrior(n);
        logNormalizers = [.. mus.Select((mu, i) => Math.Log(Math.Max(Gaussian.Cdf((1 - mu) / sigmas[i]) - Gaussian.Cdf(-mu / sigmas[i]), 1e-300)))];
    }

    /// <summary>A draw: a kernel chosen by weight, then its Gaussian truncated to [0, 1].</summary>
    public double Sample(Random random)
    {
        int k = TpeWeights.Pick(weights, random);
        for (int attempt = 0; attempt < MaxRejections; attempt++)
        {
            double x = mus[k] + sigmas[k] * Gaussian.Next(random);
            if (x is >= 0 and <= 1) return x;
        }
        return Math.Clamp(mus[k], 0, 1);
    }

    /// <summary>The log density at <paramref name="x"/>.</summary>
    public double LogPdf(double x)
    {
        var terms = new double[mus.Length];
        for (int i = 0; i < mus.Length; i++) terms[i] = Math.Log(weights[i]) + Gaussian.LogPdf(x, mus[i], sigmas[i]) - logNormalizers[i];
        double max = terms.Max();
        return max + Math.Log(terms.Sum(t => Math.Exp(t - max)));
    }
}

/// <summary>
/// Optuna's categorical Parzen estimator: each observation puts its weight on its choice, smoothed by a prior
/// weight of 1 spread over all choices, plus a uniform prior kernel.
/// </summary>
internal sealed class CategoricalParzen
{
    private readonly double[] probabilities;

    /// <summary>Builds the estimator from choice indices in <paramref name="observations"/>, given in trial order.</summary>
    public CategoricalParzen(IReadOnlyList<int> observations, int choices)
    {
        int n = observations.Count;
        probabilities = new double[choices];
        var weights = TpeWeights.WithPrior(n);
        double smoothing = 1.0 / (n + 1);
        for (int i = 0; i < n; i++)
        {
            double row = 1 + smoothing * choices;
            for (int c = 0; c < choices; c++) probabilities[c] += weights[i] * smoothing / row;
            probabilities[observations[i]] += weights[i] / row;
        }
        for (int c = 0; c < choices; c++) probabilities[c] += weights[n] / choices;
    }

    /// <summary>A choice index drawn from the estimator.</summary>
    public int Sample(Random random) => TpeWeights.Pick(probabilities, random);

    /// <summary>The log probability of choice <paramref name="index"/>.</summary>
    public double LogPdf(int index) => Math.Log(probabilities[index]);
}

/// <summary>Optuna's observation weights: flat for the 25 newest, a ramp from 1/n for older ones; the prior weighs 1.</summary>
internal static class TpeWeights
{
    /// <summary>Normalized weights of <paramref name="n"/> observations in trial order, then the prior.</summary>
    public static double[] WithPrior(int n)
    {
        var w = new double[n + 1];
        int ramp = Math.Max(0, n - 25);
        for (int i = 0; i < n; i++) w[i] = i >= ramp ? 1 : ramp == 1 ? 1.0 / n : 1.0 / n + i * (1 - 1.0 / n) / (ramp - 1);
        w[n] = 1;
        double sum = w.Sum();
        for (int i = 0; i <= n; i++) w[i] /= sum;
        return w;
    }

    /// <summary>An index drawn with probability proportional to <paramref name="weights"/>.</summary>
    public static int Pick(IReadOnlyList<double> weights, Random random)
    {
        double draw = random.NextDouble() * weights.Sum();
        for (int i = 0; i < weights.Count; i++)
        {
            draw -= weights[i];
            if (draw < 0) return i;
        }
        return weights.Count - 1;
    }
}
