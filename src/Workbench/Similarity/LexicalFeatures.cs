using System.Text;

namespace MLWorkbench.Similarity;

/// <summary>
/// Surface features of a sentence pair, with word IDF weights learned from the training sentences only: TF-IDF
/// cosine, IDF-weighted overlap, token / bigram / character 3-gram Jaccard, containment, length ratio and difference,
/// shared numbers, negation mismatch. Tokens are lower-cased runs of letters and digits (any script).
/// </summary>
internal sealed class LexicalFeatures
{
    /// <summary>The feature names, in vector order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "tfidf-cosine", "idf-overlap", "token-jaccard", "token-containment", "bigram-jaccard", "char3-jaccard", "char3-containment",
        "length-ratio", "length-difference", "log-mean-length", "number-jaccard", "number-mismatch", "negation-mismatch", "identical",
    ];

    private static readonly HashSet<string> Negations = new(StringComparer.Ordinal) { "not", "no", "never", "nobody", "nothing", "none", "nor", "t", "cannot", "without" };
    private readonly Dictionary<string, double> _idf;
    private readonly double _unknownIdf;

    private LexicalFeatures(Dictionary<string, double> idf, double unknownIdf) => (_idf, _unknownIdf) = (idf, unknownIdf);

    /// <summary>The learned weights, for a bundle: IDF per token and the weight of a token not seen in training.</summary>
    public (IReadOnlyDictionary<string, double> Idf, double UnknownIdf) ToState() => (_idf, _unknownIdf);

    /// <summary>Features with weights saved by <see cref="ToState"/>.</summary>
    public static LexicalFeatures FromState(IReadOnlyDictionary<string, double> idf, double unknownIdf) =>
        new(new Dictionary<string, double>(idf, StringComparer.Ordinal), unknownIdf);

    /// <summary>Learns smoothed IDF weights (<c>ln((1 + N) / (1 + df)) + 1</c>) from every training sentence.</summary>
    public static LexicalFeatures Fit(SentencePairs train)
    {
        var documents = 0;
        var frequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in train.First.Concat(train.Second))
        {
            documents++;
            foreach (var token in Tokens(sentence).Distinct()) frequency[token] = frequency.GetValueOrDefault(token) + 1;
        }
        var idf = frequency.ToDictionary(kv => kv.Key, kv => Math.Log((1.0 + documents) / (1.0 + kv.Value)) + 1, StringComparer.Ordinal);
        return new LexicalFeatures(idf, Math.Log(1.0 + documents) + 1);
    }

    /// <summary>One feature vector per pair, in <see cref="Names"/> order.</summary>
    public float[][] Transform(SentencePairs pairs) =>
        Enumerable.Range(0, pairs.Rows).Select(i => Features(pairs.First[i], pairs.Second[i])).ToArray();

    private float[] Features(string a, string b)
    {
        var ta = Tokens(a);
        var tb = Tokens(b);
        HashSet<string> sa = [.. ta], sb = [.. tb];
        var ca = CharGrams(a, 3);
        var cb = CharGrams(b, 3);
        var na = sa.Where(IsNumber).ToHashSet();
        var nb = sb.Where(IsNumber).ToHashSet();
        var negA = ta.Count(Negations.Contains) % 2;
        var negB = tb.Count(Negations.Contains) % 2;
        double la = ta.Count, lb = tb.Count;
        return
        [
            (float)TfIdfCosine(ta, tb),
            (float)IdfOverlap(sa, sb),
            (float)Jaccard(sa, sb),
            (float)Containment(sa, sb),
            (float)Jaccard(Bigrams(ta), Bigrams(tb)),
            (float)Jaccard(ca, cb),
            (float)Containment(ca, cb),
            (float)(Math.Max(la, lb) == 0 ? 1 : Math.Min(la, lb) / Math.Max(la, lb)),
            (float)Math.Abs(la - lb),
            (float)Math.Log(1 + (la + lb) / 2),
            (float)Jaccard(na, nb),
            na.Count > 0 && nb.Count > 0 && !na.SetEquals(nb) ? 1f : 0f,
            negA != negB ? 1f : 0f,
            string.Equals(Normalize(a), Normalize(b), StringComparison.Ordinal) ? 1f : 0f,
        ];
    }

    private double Idf(string token) => _idf.TryGetValue(token, out var w) ? w : _unknownIdf;

    private double TfIdfCosine(List<string> a, List<string> b)
    {
        var va = a.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count() * Idf(g.Key));
        var vb = b.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count() * Idf(g.Key));
        if (va.Count == 0 || vb.Count == 0) return va.Count == vb.Count ? 1 : 0;
        var dot = va.Sum(kv => vb.TryGetValue(kv.Key, out var w) ? kv.Value * w : 0);
        return dot / Math.Sqrt(va.Values.Sum(v => v * v) * vb.Values.Sum(v => v * v));
    }

    private double IdfOverlap(HashSet<string> a, HashSet<string> b)
    {
        var union = a.Union(b).Sum(Idf);
        return union == 0 ? 1 : a.Intersect(b).Sum(Idf) / union;
    }

    private static double Jaccard<T>(HashSet<T> a, HashSet<T> b)
    {
        if (a.Count == 0 && b.Count == 0) return 1;
        var shared = a.Count(b.Contains);
        return (double)shared / (a.Count + b.Count - shared);
    }

    private static double Containment<T>(HashSet<T> a, HashSet<T> b)
    {
        if (a.Count == 0 || b.Count == 0) return a.Count == b.Count ? 1 : 0;
        return (double)a.Count(b.Contains) / Math.Min(a.Count, b.Count);
    }

    private static HashSet<string> Bigrams(List<string> tokens) =>
        Enumerable.Range(0, Math.Max(0, tokens.Count - 1)).Select(i => tokens[i] + " " + tokens[i + 1]).ToHashSet(StringComparer.Ordinal);

    private static HashSet<string> CharGrams(string text, int n)
    {
        var padded = " " + Normalize(text) + " ";
        var grams = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + n <= padded.Length; i++) grams.Add(padded.Substring(i, n));
        return grams;
    }

    private static bool IsNumber(string token) => token.Any(char.IsDigit);

    /// <summary>Lower-cased tokens joined by single spaces.</summary>
    private static string Normalize(string text) => string.Join(' ', Tokens(text));

    /// <summary>Lower-cased maximal runs of letters and digits.</summary>
    internal static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c)) current.Append(char.ToLowerInvariant(c));
            else if (current.Length > 0)
            {
                tokens.Add(current.ToString());
                current.Clear();
            }
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return tokens;
    }
}
