using System.Globalization;
using System.Text;

namespace MLWorkbench.Text;

/// <summary>
/// BERT's "basic" tokenization, as Hugging Face's BertTokenizer does it: drop NUL, U+FFFD and control/format
/// characters; split on whitespace; put every CJK ideograph in its own word; lowercase and strip accents (NFD,
/// then drop non-spacing marks) when uncased; split every punctuation character into its own word.
/// </summary>
internal static class BertPreTokenizer
{
    /// <summary>The words of <paramref name="text"/>, ready for WordPiece.</summary>
    public static List<string> Split(string text, bool lowerCase)
    {
        var words = new List<string>();
        var chunk = new StringBuilder();
        void Flush()
        {
            if (chunk.Length == 0) return;
            SplitChunk(chunk.ToString(), lowerCase, words);
            chunk.Clear();
        }
        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (value == 0 || value == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) Flush();
            else if (IsCjk(value))
            {
                Flush();
                chunk.Append(rune.ToString());
                Flush();
            }
            else chunk.Append(rune.ToString());
        }
        Flush();
        return words;
    }

    // A whitespace-delimited chunk: normalise it, then cut it at punctuation.
    private static void SplitChunk(string chunk, bool lowerCase, List<string> words)
    {
        if (lowerCase) chunk = StripAccents(LowerCase(chunk));
        var word = new StringBuilder();
        foreach (var rune in chunk.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (word.Length > 0) words.Add(word.ToString());
                word.Clear();
                words.Add(rune.ToString());
            }
            else word.Append(rune.ToString());
        }
        if (word.Length > 0) words.Add(word.ToString());
    }

    // Python's str.lower, which BERT used: the invariant lowercase plus its two context rules, capital I with dot
    // (to i + combining dot, whose dot accent stripping then drops) and the word-final sigma.
    private static string LowerCase(string text)
    {
        // .NET's invariant lowercase keeps the length, so indices still match the original text.
        var lower = new StringBuilder(text.ToLowerInvariant());
        for (var i = 0; i < lower.Length; i++)
            if (text[i] == '\u03A3' && IsFinal(text, i)) lower[i] = '\u03C2';
        return lower.Replace("\u0130", "i\u0307").ToString();
    }

    // Unicode's Final_Sigma: a cased letter before (skipping marks), none after.
    private static bool IsFinal(string text, int index)
    {
        static bool Skip(char c) => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark;
        var before = index - 1;
        while (before >= 0 && Skip(text[before])) before--;
        var after = index + 1;
        while (after < text.Length && Skip(text[after])) after++;
        return before >= 0 && char.IsLetter(text[before]) && !(after < text.Length && char.IsLetter(text[after]));
    }

    private static string StripAccents(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var kept = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) kept.Append(rune.ToString());
        return kept.ToString();
    }

    // Tab, newline and carriage return count as whitespace, not as control characters.
    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r') &&
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format;

    // All non-letter, non-digit ASCII counts ($, ^, `, ...), plus every Unicode punctuation category.
    private static bool IsPunctuation(Rune rune) =>
        rune.Value is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126) ||
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    // The CJK Unified Ideographs blocks BERT treats as single tokens (not Hiragana, Katakana or Hangul).
    private static bool IsCjk(int value) =>
        value is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
