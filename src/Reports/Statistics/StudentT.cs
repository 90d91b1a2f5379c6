namespace MLWorkbench.Reports.Statistics;

/// <summary>Student's t distribution: two-sided p-values and quantiles, from the regularized incomplete beta function.</summary>
internal static class StudentT
{
    /// <summary>P(|T| ≥ |t|) for T with <paramref name="degreesOfFreedom"/> degrees of freedom.</summary>
    public static double TwoSidedP(double t, double degreesOfFreedom)
    {
        if (degreesOfFreedom <= 0) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), "Degrees of freedom must be positive.");
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsInfinity(t)) return 0;
        return RegularizedBeta(degreesOfFreedom / (degreesOfFreedom + t * t), degreesOfFreedom / 2, 0.5);
    }

    /// <summary>P(T ≤ t).</summary>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        var tail = TwoSidedP(t, degreesOfFreedom) / 2;
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The t with P(T ≤ t) = <paramref name="probability"/>, found by bisection on <see cref="Cdf"/>.</summary>
    public static double Quantile(double probability, double degreesOfFreedom)
    {
        if (probability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(probability), "The probability must lie strictly between 0 and 1.");
        if (probability < 0.5) return -Quantile(1 - probability, degreesOfFreedom);
        double low = 0, high = 1;
        while (Cdf(high, degreesOfFreedom) < probability) high *= 2;
        for (var i = 0; i < 200 && high - low > 1e-12 * Math.Max(1, high); i++)
        {
            var middle = (low + high) / 2;
            if (Cdf(middle, degreesOfFreedom) < probability) low = middle; else high = middle;
        }
        return (low + high) / 2;
    }

    /// <summary>I_x(a, b), by the continued fraction of Numerical Recipes (section 6.4).</summary>
    internal static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        // The fraction converges fast for x below the mean; use the symmetry I_x(a,b) = 1 - I_(1-x)(b,a) above it.
        return x < (a + 1) / (a + b + 2)
            ? front * BetaFraction(x, a, b) / a
            : 1 - front * BetaFraction(1 - x, b, a) / b;
    }

    private static double BetaFraction(double x, double a, double b)
    {
        const double tiny = 1e-300, epsilon = 1e-15;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= 500; m++)
        {
            var m2 = 2 * m;
            var step = m * (b - m) * x / ((a - 1 + m2) * (a + m2));
            d = 1 + step * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + step / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            step = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2));
            d = 1 + step * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + step / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < epsilon) break;
        }
        return h;
    }

    // Lanczos approximation (g = 7, n = 9), accurate to about 15 digits for positive arguments.
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    internal static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        var sum = Lanczos[0];
        for (var i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
