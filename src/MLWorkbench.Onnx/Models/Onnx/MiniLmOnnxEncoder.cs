using Microsoft.ML.OnnxRuntime;
using MLWorkbench.Bundles;
using MLWorkbench.Text;

namespace MLWorkbench.Models.Onnx;

/// <summary>
/// Sentence embeddings from the packaged all-MiniLM-L6-v2 ONNX model on ONNX Runtime (CPU): WordPiece tokens in,
/// <c>last_hidden_state</c> mean-pooled over the attention mask and L2-normalised out, 384 values per sentence
/// (so the dot product of two embeddings is their cosine similarity). Thread-safe; dispose it to free the session.
/// </summary>
internal sealed class MiniLmOnnxEncoder : ITextEncoder
{
    private const string OutputName = "last_hidden_state";
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly HashSet<string> _inputs;

    /// <summary>Loads the embedded model into an ONNX Runtime session.</summary>
    /// <param name="maxLength">The most tokens per sentence, special tokens included (256, the model's own limit, by default).</param>
    /// <param name="threads">ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per physical core).</param>
    public MiniLmOnnxEncoder(int maxLength = MiniLmAssets.MaxSequenceLength, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLength, 512);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        MaxLength = maxLength;
        Tokenizer = MiniLmAssets.CreateTokenizer();
        _options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
        try
        {
            _session = new InferenceSession(MiniLmAssets.ReadModel(), _options);
        }
        catch
        {
            _options.Dispose();
            throw;
        }
        _inputs = _session.InputMetadata.Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> PretrainedFiles => [MiniLmFamily.ModelFile, MiniLmFamily.VocabularyFile];

    /// <summary>The width of an embedding (384).</summary>
    public int Dimension => MiniLmAssets.Dimension;

    /// <summary>The most tokens per sentence, special tokens included; longer sentences are truncated.</summary>
    public int MaxLength { get; }

    /// <summary>The model's WordPiece tokenizer.</summary>
    public BertWordPieceTokenizer Tokenizer { get; }

    /// <summary>
    /// Unit-length embeddings of <paramref name="sentences"/>, in their order. Sentences are run in batches of
    /// similar length so that little time goes to padding.
    /// </summary>
    public float[][] Encode(IReadOnlyList<string> sentences, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        // Character length stands in for token length (as in sentence-transformers): cheap, and close enough.
        var order = Enumerable.Range(0, sentences.Count).OrderBy(i => sentences[i]?.Length ?? 0).ToArray();
        var embeddings = new float[sentences.Count][];
        for (var start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = order[start..Math.Min(start + batchSize, order.Length)];
            var batch = Tokenizer.EncodeBatch(rows.Select(i => sentences[i]).ToArray(), maxLength: MaxLength);
            var encoded = Encode(batch);
            for (var r = 0; r < rows.Length; r++) embeddings[rows[r]] = encoded[r];
        }
        return embeddings;
    }

    /// <summary>Unit-length embeddings of an already tokenized batch (single texts or pairs), one per row.</summary>
    public float[][] Encode(BertBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return MeanPool(LastHiddenState(batch), batch.AttentionMask, batch.Count, batch.SequenceLength, Dimension);
    }

    /// <summary>The model's <c>last_hidden_state</c> for a batch: <c>[Count, SequenceLength, 384]</c>, row-major.</summary>
    internal float[] LastHiddenState(BertBatch batch)
    {
        long[] shape = [batch.Count, batch.SequenceLength];
        var names = new List<string>(3);
        var values = new List<OrtValue>(3);
        try
        {
            foreach (var (name, data) in new[] { ("input_ids", batch.InputIds), ("attention_mask", batch.AttentionMask), ("token_type_ids", batch.TokenTypeIds) })
            {
                if (!_inputs.Contains(name)) continue;
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
            }
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, names, values, [OutputName]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    /// <summary>Mean of the token vectors where the mask is 1, scaled to unit length; one vector per row.</summary>
    internal static float[][] MeanPool(ReadOnlySpan<float> hidden, long[] mask, int count, int length, int width)
    {
        var result = new float[count][];
        for (var r = 0; r < count; r++)
        {
            var sum = new double[width];
            var tokens = 0;
            for (var t = 0; t < length; t++)
            {
                if (mask[r * length + t] == 0) continue;
                tokens++;
                var row = hidden.Slice((r * length + t) * width, width);
                for (var d = 0; d < width; d++) sum[d] += row[d];
            }
            var norm = 0.0;
            for (var d = 0; d < width; d++)
            {
                sum[d] /= Math.Max(tokens, 1);
                norm += sum[d] * sum[d];
            }
            norm = Math.Max(Math.Sqrt(norm), 1e-12);
            result[r] = sum.Select(v => (float)(v / norm)).ToArray();
        }
        return result;
    }

    /// <summary>Frees the ONNX Runtime session.</summary>
    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
    }
}
