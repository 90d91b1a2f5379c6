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
