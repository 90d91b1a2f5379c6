namespace MLWorkbench.AutoML;

/// <summary>The normal distribution, as far as the samplers need it.</summary>
internal static class Gaussian
{
    private const double LogSqrtTwoPi = 0.91893853320467274;

    /// <summary>A standard normal draw (Box–Muller), using two uniforms from <paramref name="random"/>.</summary>
    public static double Next(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>The log density of N(<paramref name="mu"/>, <paramref name="sigma"/>²) at <paramref name="x"/>.</summary>
    public static double LogPdf(double x, double mu, double sigma)
    {
        double z = (x - mu) / sigma;
        return -0.5 * z * z - Math.Log(sigma) - LogSqrtTwoPi;
    }

    /// <summary>The standard normal distribution function.</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    // Numerical Recipes' erfc (Chebyshev fit), relative error below 1.2e-7 everywhere.
    private static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
