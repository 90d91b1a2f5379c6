using System.Diagnostics;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Results;
using Xunit.Abstractions;

namespace MLWorkbench.Tests.Bert;

[Collection(MiniLmCollection.Name)]
public sealed class MiniLmOnnxEncoderTests(MiniLmFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Resources_are_embedded_in_the_package_assembly()
    {
        using var model = MiniLmAssets.OpenModel();
        using var vocabulary = MiniLmAssets.OpenVocabulary();
        Assert.InRange(model.Length, 85_000_000, 95_000_000);
        Assert.InRange(vocabulary.Length, 200_000, 300_000);
    }

    [Fact]
    public void Embeddings_are_unit_length_and_in_input_order()
    {
        string[] sentences = ["A man is playing a guitar.", "Hi", "A man plays the guitar on stage tonight.", "The stock market fell sharply today."];
        var embeddings = fixture.Onnx.Encode(sentences, batchSize: 2);
        Assert.Equal(4, embeddings.Length);
        foreach (var e in embeddings)
        {
            Assert.Equal(384, e.Length);
            Assert.Equal(1.0, Math.Sqrt(e.Sum(v => (double)v * v)), 4);
        }
        // Order survives the length sorting: the two guitar sentences are the similar pair.
        Assert.True(Cosine(embeddings[0], embeddings[2]) > 0.6);
        Assert.True(Cosine(embeddings[0], embeddings[3]) < 0.3);
        // Batching and padding do not change an embedding.
        var alone = fixture.Onnx.Encode([sentences[1]]);
        Assert.True(Cosine(alone[0], embeddings[1]) > 0.99999);
    }

    [Fact]
    public void Zero_shot_cosine_ranks_sts_benchmark_pairs()
    {
        var pairs = StsBenchmark.Sample("test", 200);
        var sentences = pairs.SelectMany(p => new[] { p.First, p.Second }).ToArray();
        var watch = Stopwatch.StartNew();
        var embeddings = fixture.Onnx.Encode(sentences);
        watch.Stop();
        var cosines = pairs.Select((_, i) => Cosine(embeddings[2 * i], embeddings[2 * i + 1])).ToArray();
        var spearman = MetricFormulas.Spearman(cosines, pairs.Select(p => p.Score).ToArray());
        output.WriteLine($"STS-B test, 200 pairs: Spearman {spearman:F4}; {sentences.Length / watch.Elapsed.TotalSeconds:F0} sentences/s ({watch.Elapsed.TotalSeconds:F1} s, {Environment.ProcessorCount} cores)");
        Assert.True(spearman > 0.7, $"Spearman {spearman:F4}");
    }

    internal static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
