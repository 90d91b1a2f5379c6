using MLWorkbench.Similarity;

namespace MLWorkbench.Tests.Similarity;

/// <summary>Temporary sentence-pair files and samples of the STS Benchmark's open part for the similarity tests.</summary>
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

    /// <summary>
    /// The STS Benchmark file of a split (<c>train</c>, <c>dev</c>, <c>test</c>) in datasets/stsb-open: the benchmark's
    /// openly licensed genres (image captions and SNLI captions), lines unchanged.
    /// </summary>
    public static string StsPath(string split) => Repository.Dataset("stsb-open", $"sts-{split}.csv");

    /// <summary><paramref name="count"/> pairs of an STS Benchmark split spread evenly over the file (both genres represented).</summary>
    public static SentencePairs Sts(string split, int count)
    {
        var all = SentencePairFile.Load(StsPath(split)).Pairs;
        return all.Subset(Enumerable.Range(0, count).Select(i => (int)((long)i * all.Rows / count)).ToArray());
    }
}
