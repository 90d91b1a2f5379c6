namespace MLWorkbench.Text;

/// <summary>
/// BERT's WordPiece tokenizer (the one of <c>bert-base-uncased</c>, MiniLM and most English BERTs): basic
/// tokenization (clean-up, whitespace and punctuation split, CJK ideographs as single tokens, lowercasing and accent
/// stripping when uncased), then greedy longest-match-first WordPiece with <c>##</c> continuation pieces; a word
/// that cannot be covered, or is longer than <see cref="MaxCharactersPerWord"/>, becomes <c>[UNK]</c>.
/// Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Special-token strings inside the text (a literal <c>[SEP]</c>) are tokenized as ordinary text, never as
/// special tokens, so user text cannot forge sequence boundaries.
/// </remarks>
internal sealed class BertWordPieceTokenizer
{
    private const string ContinuationPrefix = "##";
    private readonly string[] _tokens;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _wordStarts;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;

    /// <summary>A tokenizer over a vocabulary given one token per entry, the id being the entry's position.</summary>
    /// <param name="vocabulary">The tokens; must contain <c>[CLS]</c>, <c>[SEP]</c>, <c>[PAD]</c> and <c>[UNK]</c>.</param>
    /// <param name="lowerCase">True for uncased models: lowercase and strip accents before WordPiece.</param>
    public BertWordPieceTokenizer(IEnumerable<string> vocabulary, bool lowerCase = true)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        _tokens = vocabulary.ToArray();
        var starts = new Dictionary<string, int>(StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < _tokens.Length; id++)
        {
            var token = _tokens[id];
            // First occurrence wins, as in Hugging Face's vocabulary loading.
            if (token.StartsWith(ContinuationPrefix, StringComparison.Ordinal) && token.Length > ContinuationPrefix.Length)
                continuations.TryAdd(token[ContinuationPrefix.Length..], id);
            else starts.TryAdd(token, id);
        }
        _wordStarts = starts.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
        LowerCase = lowerCase;
        ClassificationId = Require(starts, "[CLS]");
        SeparatorId = Require(starts, "[SEP]");
        PaddingId = Require(starts, "[PAD]");
        UnknownId = Require(starts, "[UNK]");
    }

    /// <summary>Reads a <c>vocab.txt</c> (one token per line, UTF-8, LF or CRLF line ends).</summary>
    public static BertWordPieceTokenizer FromVocabulary(Stream vocabulary, bool lowerCase = true)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        using var reader = new StreamReader(vocabulary, leaveOpen: true);
        var tokens = new List<string>();
        while (reader.ReadLine() is { } line) tokens.Add(line);
        // A trailing newline leaves no empty token; an empty line in the middle keeps its id.
        while (tokens.Count > 0 && tokens[^1].Length == 0) tokens.RemoveAt(tokens.Count - 1);
        return new BertWordPieceTokenizer(tokens, lowerCase);
    }

    /// <summary>True when text is lowercased and stripped of accents (uncased models).</summary>
    public bool LowerCase { get; }

    /// <summary>Words longer than this many characters become <c>[UNK]</c> (100, as in BERT).</summary>
    public int MaxCharactersPerWord => 100;

    /// <summary>The number of tokens in the vocabulary.</summary>
    public int VocabularySize => _tokens.Length;

    /// <summary>The id of <c>[CLS]</c>.</summary>
    public int ClassificationId { get; }

    /// <summary>The id of <c>[SEP]</c>.</summary>
    public int SeparatorId { get; }

    /// <summary>The id of <c>[PAD]</c>.</summary>
    public int PaddingId { get; }

    /// <summary>The id of <c>[UNK]</c>.</summary>
    public int UnknownId { get; }

    /// <summary>The token with id <paramref name="id"/>.</summary>
    public string Token(int id) => _tokens[id];

    /// <summary>The word pieces of <paramref name="text"/>, without special tokens.</summary>
    public IReadOnlyList<string> Tokenize(string text) => EncodeToIds(text).Select(id => _tokens[id]).ToArray();

    /// <summary>The token ids of <paramref name="text"/>, without special tokens and without truncation.</summary>
    public int[] EncodeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var word in BertPreTokenizer.Split(text, LowerCase)) AddWordPieces(word, ids);
        return ids.ToArray();
    }

    /// <summary>One text (or pair) as a batch of one row: <c>[CLS] text [SEP]</c> or <c>[CLS] text [SEP] pair [SEP]</c>.</summary>
    public BertBatch Encode(string text, string? pair = null, int maxLength = 512) =>
        EncodeBatch([text], pair is null ? null : [pair], maxLength);

    /// <summary>
    /// Several texts, or text pairs, as one batch padded to its longest row (or to <paramref name="maxLength"/>).
    /// Rows longer than <paramref name="maxLength"/> (special tokens included) are truncated: a single text loses its
    /// tail; a pair loses tokens from the longer of its two texts, one at a time (Hugging Face's <c>longest_first</c>).
    /// </summary>
    /// <param name="texts">The texts, or the first text of each pair.</param>
    /// <param name="pairs">The second text of each pair, or null for single texts.</param>
    /// <param name="maxLength">The most tokens a row may have, special tokens included.</param>
    /// <param name="padToMaxLength">Pad every row to <paramref name="maxLength"/> instead of to the longest row.</param>
    public BertBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null, int maxLength = 128, bool padToMaxLength = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"{texts.Count} texts but {pairs.Count} pair texts; they must match one to one.", nameof(pairs));
        var specials = pairs is null ? 2 : 3;
        if (maxLength < specials + 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"must leave room for at least one token besides the {specials} special tokens");

        var rows = new List<int[]>(texts.Count);
        var types = new List<int>(texts.Count);
        var truncated = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var first = EncodeToIds(texts[i]).AsSpan();
            var second = pairs is null ? [] : EncodeToIds(pairs[i]).AsSpan();
            var (keepFirst, keepSecond) = Truncate(first.Length, second.Length, maxLength - specials);
            if (keepFirst < first.Length || keepSecond < second.Length) truncated++;
            var row = new List<int>(keepFirst + keepSecond + specials) { ClassificationId };
            row.AddRange(first[..keepFirst]);
            row.Add(SeparatorId);
            if (pairs is not null)
            {
                row.AddRange(second[..keepSecond]);
                row.Add(SeparatorId);
            }
            rows.Add(row.ToArray());
            types.Add(keepFirst + 2);
        }

        var length = padToMaxLength ? maxLength : Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Length));
        var inputIds = new long[rows.Count * length];
        var mask = new long[rows.Count * length];
        var tokenTypes = new long[rows.Count * length];
        Array.Fill(inputIds, PaddingId);
        for (var r = 0; r < rows.Count; r++)
        {
            var offset = r * length;
            for (var t = 0; t < rows[r].Length; t++)
            {
                inputIds[offset + t] = rows[r][t];
                mask[offset + t] = 1;
                tokenTypes[offset + t] = t < types[r] ? 0 : 1;
            }
        }
        return new BertBatch(inputIds, mask, tokenTypes, rows.Count, length, truncated);
    }

    // longest_first: take tokens off whichever text is longer (the second on a tie) until both fit.
    private static (int First, int Second) Truncate(int first, int second, int budget)
    {
        if (first + second <= budget) return (first, second);
        if (second == 0) return (budget, 0);
        var half = budget / 2;
        if (first <= half) return (first, budget - first);
        if (second <= half) return (budget - second, second);
        // Both are long: the loop would alternate, leaving the first text the larger half.
        return (budget - half, half);
    }

    // Greedy longest-match-first, never cutting a surrogate pair.
    private void AddWordPieces(string word, List<int> ids)
    {
        var characters = 0;
        foreach (var _ in word.EnumerateRunes()) characters++;
        if (characters > MaxCharactersPerWord)
        {
            ids.Add(UnknownId);
            return;
        }
        var pieces = new List<int>();
        var start = 0;
        while (start < word.Length)
        {
            var lookup = start == 0 ? _wordStarts : _continuations;
            var end = word.Length;
            var found = -1;
            while (end > start)
            {
                if (lookup.TryGetValue(word.AsSpan(start, end - start), out var id))
                {
                    found = id;
                    break;
                }
                end--;
                if (end > start && char.IsLowSurrogate(word[end])) end--;
            }
            if (found < 0)
            {
                ids.Add(UnknownId);
                return;
            }
            pieces.Add(found);
            start = end;
        }
        ids.AddRange(pieces);
    }

    private static int Require(Dictionary<string, int> tokens, string token) =>
        tokens.TryGetValue(token, out var id) ? id : throw new InvalidDataException($"The vocabulary has no {token} token.");
}
