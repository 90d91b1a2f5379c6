using System.Globalization;

namespace MLWorkbench.Reports;

/// <summary>How the report writes numbers: four significant digits, invariant culture.</summary>
internal static class NumberFormat
{
    /// <summary>
    /// Four significant digits without an exponent for magnitudes from 0.001 to below 1,000,000
    /// (3.142, 0.01235, 12346); an exponent outside that range (1.235e-05, 2.5e+07).
    /// </summary>
    public static string Significant(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "∞";
        if (double.IsNegativeInfinity(value)) return "−∞";
        if (value == 0) return "0";
        var magnitude = Math.Abs(value);
        if (magnitude < 1e-3 || magnitude >= 1e6)
            return value.ToString("0.###e+00", CultureInfo.InvariantCulture);
        var decimals = Math.Max(0, 3 - (int)Math.Floor(Math.Log10(magnitude)));
        var text = value.ToString("F" + decimals, CultureInfo.InvariantCulture);
        // Rounding can carry into a new digit (9.99996 -> 10.000); keep four significant digits.
        if (decimals > 0 && Math.Abs(double.Parse(text, CultureInfo.InvariantCulture)) >= Math.Pow(10, 4 - decimals))
            text = value.ToString("F" + (decimals - 1), CultureInfo.InvariantCulture);
        return text;
    }

    /// <summary>A duration as people say it: 850 ms, 12.5 s, 3 min 20 s, 10 min, 1 h 05 min.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero) return "unknown";
        if (span.TotalSeconds < 1) return $"{span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";
        if (span.TotalMinutes < 1) return $"{span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
        if (span.TotalHours < 1) return span.Seconds == 0 ? $"{(int)span.TotalMinutes} min" : $"{(int)span.TotalMinutes} min {span.Seconds} s";
        return $"{(int)span.TotalHours} h {span.Minutes:00} min";
    }

    /// <summary>A size as people read it: 850 B, 12.3 KB, 83.1 MB (powers of 1024).</summary>
    public static string Bytes(long bytes)
    {
        if (bytes < 1024) return $"{bytes.ToString(CultureInfo.InvariantCulture)} B";
        var kb = bytes / 1024.0;
        if (kb < 1024) return $"{Significant(kb)} KB";
        var mb = kb / 1024;
        return mb < 1024 ? $"{Significant(mb)} MB" : $"{Significant(mb / 1024)} GB";
    }
}
