using MLWorkbench.Similarity;

namespace MLWorkbench.Tests.Similarity;

/// <summary>Temporary sentence-pair files and samples of the shared STS Benchmark for the similarity tests.</summary>
internal static class SimilarityTestData
{
    /// <summary>Writes <paramref name="text"/> to a fresh file with the given extension under <paramref name="folder"/> and returns its path.</summary>
    public static string Write(string folder, string text, string extension = ".csv")
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "pairs-" + Guid.NewGuid().ToString("N")[..8] + extension);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The STS Benchmark file of a split (<c>train</c>, <c>dev</c>, <c>test</c>) in shared/datasets/stsbenchmark.</summary>
    public static string StsPath(string split)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "datasets", "stsbenchmark", $"sts-{split}.csv");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"No shared/datasets/stsbenchmark/sts-{split}.csv above {AppContext.BaseDirectory}.");
    }

    /// <summary><paramref name="count"/> pairs of an STS Benchmark split spread evenly over the file (every genre represented).</summary>
    public static SentencePairs Sts(string split, int count)
    {
        var all = SentencePairFile.Load(StsPath(split)).Pairs;
        return all.Subset(Enumerable.Range(0, count).Select(i => (int)((long)i * all.Rows / count)).ToArray());
    }
}
