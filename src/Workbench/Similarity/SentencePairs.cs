using MLWorkbench.Data;
using MLWorkbench.Models;

namespace MLWorkbench.Similarity;

/// <summary>
/// The range gold similarity scores live in (0 to 5 for the STS Benchmark): stated by the user or the file format, or
/// inferred from the training scores. Models map their raw outputs into it.
/// </summary>
/// <param name="Min">The lowest score (no similarity).</param>
/// <param name="Max">The highest score (same meaning).</param>
internal sealed record ScoreRange(double Min, double Max)
{
    /// <summary>The STS Benchmark's range, 0 to 5.</summary>
    public static ScoreRange StsBenchmark { get; } = new(0, 5);

    /// <summary>Max − Min.</summary>
    public double Width => Max - Min;

    /// <summary>True when <paramref name="score"/> lies in the range (ends included).</summary>
    public bool Contains(double score) => score >= Min && score <= Max;

    /// <summary>A score mapped linearly to [0, 1] (Min → 0, Max → 1).</summary>
    public float Normalize(double score) => Width > 0 ? (float)((score - Min) / Width) : 0.5f;

    /// <summary>A value of the [0, 1] scale mapped linearly back to the score range (not clamped).</summary>
    public float Denormalize(double unit) => (float)(Min + unit * Width);

    /// <inheritdoc />
    public override string ToString() => $"[{Min:G6}, {Max:G6}]";
}

/// <summary>
/// Sentence pairs with gold similarity scores: the examples of the sentence-similarity task. <see cref="Labels"/> are
/// the scores; <see cref="Range"/> is the scale they are on. Empty sentences are allowed (they are kept and scored).
/// </summary>
internal sealed class SentencePairs : ILabelledData
{
    /// <summary>Creates pairs; every list must have one entry per pair.</summary>
    /// <param name="first">The first sentence of each pair.</param>
    /// <param name="second">The second sentence of each pair.</param>
    /// <param name="scores">The gold score of each pair.</param>
    /// <param name="range">The scale of the scores.</param>
    /// <param name="lines">The line each pair came from in its file (for messages and error lists); null when unknown.</param>
    public SentencePairs(IReadOnlyList<string> first, IReadOnlyList<string> second, float[] scores, ScoreRange range, IReadOnlyList<int>? lines = null)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(range);
        if (second.Count != first.Count || scores.Length != first.Count || (lines is not null && lines.Count != first.Count))
            throw new ArgumentException($"{first.Count} first sentences, {second.Count} second sentences, {scores.Length} scores and {lines?.Count} lines; they must match one to one.");
        First = first;
        Second = second;
        Labels = scores;
        Range = range;
        Lines = lines ?? new int[first.Count];
    }

    /// <summary>The first sentence of each pair.</summary>
    public IReadOnlyList<string> First { get; }

    /// <summary>The second sentence of each pair.</summary>
    public IReadOnlyList<string> Second { get; }

    /// <summary>The gold score of each pair.</summary>
    public float[] Labels { get; }

    /// <summary>The scale of the scores.</summary>
    public ScoreRange Range { get; }

    /// <summary>The line of its file each pair came from (0 when unknown).</summary>
    public IReadOnlyList<int> Lines { get; }

    /// <summary>Number of pairs.</summary>
    public int Rows => First.Count;

    /// <summary>Always null: similarity scores are values, not classes.</summary>
    public IReadOnlyList<string>? ClassNames => null;

    /// <summary>The pairs at <paramref name="rows"/>, in that order, on the same range.</summary>
    public SentencePairs Subset(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new SentencePairs(rows.Select(i => First[i]).ToArray(), rows.Select(i => Second[i]).ToArray(),
            rows.Select(i => Labels[i]).ToArray(), Range, rows.Select(i => Lines[i]).ToArray());
    }

    /// <summary>These pairs followed by <paramref name="other"/>'s (e.g. training and validation pairs for the final refit).</summary>
    /// <exception cref="ArgumentException">The two sets are on different score ranges.</exception>
    public SentencePairs Concat(SentencePairs other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Range != Range) throw new ArgumentException($"Both sets must be on the same score range, not {Range} and {other.Range}.", nameof(other));
        return new([.. First, .. other.First], [.. Second, .. other.Second], [.. Labels, .. other.Labels], Range, [.. Lines, .. other.Lines]);
    }

    /// <summary>The same pairs on another range (scores unchanged).</summary>
    public SentencePairs WithRange(ScoreRange range) => new(First, Second, Labels, range, Lines);

    /// <summary>The scores on the [0, 1] scale of <see cref="Range"/>.</summary>
    internal float[] NormalizedScores() => Labels.Select(s => Range.Normalize(s)).ToArray();
}
