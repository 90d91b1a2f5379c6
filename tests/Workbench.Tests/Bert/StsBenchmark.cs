using System.Globalization;

namespace MLWorkbench.Tests.Bert;

/// <summary>One STS Benchmark pair: a similarity score from 0 to 5 and two sentences.</summary>
internal sealed record StsPair(double Score, string First, string Second);

/// <summary>
/// Reads the STS Benchmark's openly licensed part in datasets/stsb-open: tab-separated, score in column 5,
/// sentences in 6 and 7.
/// </summary>
internal static class StsBenchmark
{
    public static IReadOnlyList<StsPair> Read(string split)
    {
        var path = Similarity.SimilarityTestData.StsPath(split);
        var pairs = new List<StsPair>();
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split('\t');
            if (fields.Length < 7) throw new InvalidDataException($"{path}: a line with {fields.Length} fields");
            pairs.Add(new StsPair(double.Parse(fields[4], CultureInfo.InvariantCulture), fields[5], fields[6]));
        }
        return pairs;
    }

    /// <summary><paramref name="count"/> pairs spread evenly over the file, so both genres are represented.</summary>
    public static IReadOnlyList<StsPair> Sample(string split, int count)
    {
        var all = Read(split);
        return Enumerable.Range(0, count).Select(i => all[(int)((long)i * all.Count / count)]).ToList();
    }
}

/// <summary>Rank correlation with average ranks for ties.</summary>
internal static class Spearman
{
    public static double Correlation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        double[] rx = Ranks(x), ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < rx.Length; i++)
        {
            sxy += (rx[i] - mx) * (ry[i] - my);
            sxx += (rx[i] - mx) * (rx[i] - mx);
            syy += (ry[i] - my) * (ry[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }

    private static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            for (var k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2.0 + 1;
            start = end + 1;
        }
        return ranks;
    }
}
