using System.Runtime.InteropServices;
using MLWorkbench.AutoML;
using MLWorkbench.Bundles;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Onnx;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

[assembly: ModelFamily<MLWorkbench.TextClassification.MiniLmNeighboursFamily>]

namespace MLWorkbench.TextClassification;

/// <summary>
/// <c>minilm-knn</c>: k-nearest neighbours on MiniLM sentence embeddings. Training keeps the unit-length embedding of
/// every training text; a text gets the classes of its k most similar training texts (cosine similarity), counted
/// equally or weighted by similarity. Nothing is fitted, so it is as fast as the encoder, shares the embeddings the
/// <c>minilm-embeddings</c> candidate computes, and learns a new class from a handful of examples.
/// </summary>
/// <param name="neighbours">How many training texts vote (k).</param>
/// <param name="weighting"><c>uniform</c> (one vote each) or <c>cosine</c> (votes weighted by similarity).</param>
/// <param name="maxTokens">Most tokens per text the encoder reads.</param>
internal sealed class MiniLmNeighboursCandidate(int neighbours = 10, string weighting = "cosine", int maxTokens = 128) : ICandidate<TextExamples>
{
    /// <summary>The registration: search space (k, weighting, tokens) with a cheap start that shares <c>minilm-embeddings</c>' embeddings.</summary>
    public static TrainerDefinition<TextExamples> Definition { get; } = new("minilm-knn", ModelFamily.Onnx, TaskKind.TextClassification,
        new SearchSpace("minilm-knn",
            [new IntDomain("neighbours", 1, 50, Log: true), new ChoiceDomain("weighting", ["uniform", "cosine"]), new ChoiceDomain("maxTokens", ["64", "128", "256"])],
            SearchPoint.Of(("neighbours", 10), ("weighting", "cosine"), ("maxTokens", "128")), RelativeCost: 20),
        values =>
        {
            var p = new ParameterValues(values);
            return new MiniLmNeighboursCandidate(p.Int("neighbours") ?? 10, p.String("weighting") ?? "cosine", p.Int("maxTokens") ?? 128);
        });

    public string Name => "minilm-knn";
    public ModelFamily Family => ModelFamily.Onnx;
    public IReadOnlyDictionary<string, object?> Hyperparameters { get; } =
        new Dictionary<string, object?> { ["neighbours"] = neighbours, ["weighting"] = weighting, ["maxTokens"] = maxTokens };

    public Task<ITrainedModel<TextExamples>> FitAsync(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken) =>
        Task.Run<ITrainedModel<TextExamples>>(() =>
        {
            if (neighbours < 1) throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, "at least one neighbour votes");
            if (weighting is not ("uniform" or "cosine")) throw new ArgumentException($"unknown weighting '{weighting}'; use uniform or cosine");
            var encoder = new MiniLmOnnxEncoder(maxTokens);
            try
            {
                var embeddings = MlNetTextCandidate.Embeddings(encoder, train, cancellationToken);
                return new MiniLmNeighboursModel(encoder, embeddings, [.. train.Labels.Select(l => (int)l)], train.ClassNames.Count, neighbours, weighting);
            }
            catch
            {
                encoder.Dispose();
                throw;
            }
        }, cancellationToken);
}

/// <summary>
/// A trained <c>minilm-knn</c>: the training texts' embeddings and classes. In a bundle: <c>knn.json</c> (settings and
/// classes) and <c>embeddings.bin</c> (float32, one row per training text); the encoder is the packaged MiniLM, recorded
/// by checksum and opened again on load.
/// </summary>
internal sealed class MiniLmNeighboursModel(MiniLmOnnxEncoder encoder, float[][] embeddings, int[] labels, int classes, int neighbours, string weighting)
    : ITrainedModel<TextExamples>, IBundledModel
{
    internal const string BundleFormat = "minilm-knn-text";

    // Smoothing per class, so that a class no neighbour voted for keeps a small probability (finite log loss).
    private const float Smoothing = 0.01f;

    private sealed record State(int Classes, int Neighbours, string Weighting, int MaxLength, int Dimension, int[] Labels);

    public IReadOnlyList<Curve> Curves => [];

    public string Format => BundleFormat;

    public Predictions Predict(TextExamples data)
    {
        var queries = encoder.Encode(data.Texts);
        var k = Math.Min(neighbours, embeddings.Length);
        var probabilities = new float[queries.Length][];
        Parallel.For(0, queries.Length, q =>
        {
            // The k largest similarities, kept in a small sorted buffer (k is at most a few dozen).
            var best = new (float Similarity, int Row)[k];
            var count = 0;
            for (var row = 0; row < embeddings.Length; row++)
            {
                var similarity = Dot(queries[q], embeddings[row]);
                if (count == k && similarity <= best[k - 1].Similarity) continue;
                var at = count < k ? count++ : k - 1;
                while (at > 0 && best[at - 1].Similarity < similarity) { best[at] = best[at - 1]; at--; }
                best[at] = (similarity, row);
            }
            var votes = new float[classes];
            Array.Fill(votes, Smoothing);
            for (var i = 0; i < count; i++)
                votes[labels[best[i].Row]] += weighting == "cosine" ? Math.Max(best[i].Similarity, 1e-6f) : 1f;
            var total = votes.Sum();
            probabilities[q] = [.. votes.Select(v => v / total)];
        });
        return Predictions.FromProbabilities(probabilities);
    }

    private static float Dot(float[] a, float[] b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    public void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets)
    {
        entries["knn.json"] = BundleEntries.ToJson(new State(classes, neighbours, weighting, encoder.MaxLength, encoder.Dimension, labels));
        entries["embeddings.bin"] = MemoryMarshal.AsBytes(embeddings.SelectMany(e => e).ToArray().AsSpan()).ToArray();
        assets.Add(PretrainedAssets.Describe(MiniLmFamily.ModelFile));
        assets.Add(PretrainedAssets.Describe(MiniLmFamily.VocabularyFile));
    }

    /// <summary>Reads a model written by <see cref="Save"/> (the pretrained files were checked by the caller).</summary>
    /// <exception cref="InvalidDataException">The entries do not describe a model for <paramref name="classes"/> classes.</exception>
    internal static MiniLmNeighboursModel Load(BundleEntries entries, int classes)
    {
        var state = entries.Json<State>("knn.json");
        if (state.Classes != classes) throw new InvalidDataException($"the model has {state.Classes} classes, the manifest {classes}");
        if (state.Dimension != MiniLmAssets.Dimension) throw new InvalidDataException($"embeddings of {state.Dimension} values, MiniLM gives {MiniLmAssets.Dimension}");
        if (state.Neighbours < 1 || state.Weighting is not ("uniform" or "cosine")) throw new InvalidDataException("the neighbour settings are not valid");
        if (state.Labels.Any(l => l < 0 || l >= classes)) throw new InvalidDataException("a training class is outside the manifest's classes");
        var bytes = entries.Bytes("embeddings.bin");
        if (bytes.Length != (long)state.Labels.Length * state.Dimension * sizeof(float))
            throw new InvalidDataException($"embeddings.bin holds {bytes.Length} bytes, not {state.Labels.Length} rows of {state.Dimension} floats");
        var values = MemoryMarshal.Cast<byte, float>(bytes);
        var embeddings = new float[state.Labels.Length][];
        for (var i = 0; i < embeddings.Length; i++) embeddings[i] = values.Slice(i * state.Dimension, state.Dimension).ToArray();
        return new MiniLmNeighboursModel(new MiniLmOnnxEncoder(state.MaxLength), embeddings, state.Labels, classes, state.Neighbours, state.Weighting);
    }

    public void Dispose() => encoder.Dispose();
}

/// <summary>The registration of <c>minilm-knn</c>'s bundle format; it serves like every text classifier.</summary>
internal sealed class MiniLmNeighboursFamily : IModelFamily
{
    public IEnumerable<ModelFormat> Formats =>
    [
        ModelFormat.Examples(MiniLmNeighboursModel.BundleFormat, TaskKind.TextClassification, "the ONNX Runtime native library", bundle =>
            TextFamily.Serve(bundle, () => MiniLmNeighboursModel.Load(bundle.Entries, bundle.ClassNames.Count))),
    ];
}
