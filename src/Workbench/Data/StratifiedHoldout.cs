using MLWorkbench.Tasks;

namespace MLWorkbench.Data;

/// <summary>
/// The seeded stratified three-way split that image and text experiments share: every class is shuffled and cut by the
/// fractions on its own, so each part keeps the class proportions, then each part is shuffled again so that classes
/// are mixed. The random draws happen in one fixed order (class by class, then train, validation, test), which is what
/// makes a seed give the same split every time.
/// </summary>
internal static class StratifiedHoldout
{
    /// <summary>Splits the rows of <paramref name="labels"/> (class indices into <paramref name="classNames"/>).</summary>
    /// <param name="labels">Each row's class index.</param>
    /// <param name="classNames">The classes, in index order.</param>
    /// <param name="validationFraction">Share of each class for validation (more than 0).</param>
    /// <param name="testFraction">Share of each class for test (0 when the test examples come from elsewhere).</param>
    /// <param name="seed">Seed of the shuffles.</param>
    /// <param name="noun">What a row is in messages, plural ("images", "texts").</param>
    /// <param name="source">
    /// Where the rows come from, as a message's subject (e.g. <c>Text data file 'x.csv'</c>); null leaves it out.
    /// </param>
    /// <param name="seenOnce">
    /// When not null, a class with a single row is an error with this message (class index, row); and a class too small
    /// for its share of validation and test rows gives up those rows rather than being an error, because text data sets
    /// often have rare labels while an image class with fewer than a handful of images is a mistake worth naming.
    /// </param>
    /// <exception cref="WorkbenchInputException">The fractions are out of range or the rows are too few.</exception>
    internal static (int[] Train, int[] Validation, int[] Test) Split(IReadOnlyList<float> labels, IReadOnlyList<string> classNames,
        double validationFraction, double testFraction, int seed, string noun, string? source = null, Func<int, int, string>? seenOnce = null)
    {
        if (validationFraction <= 0 || testFraction < 0 || validationFraction + testFraction >= 1)
            throw new WorkbenchInputException(
                $"Split fractions validation={validationFraction} and test={testFraction} must be positive and sum to less than 1.");
        var random = new Random(seed);
        List<int> train = [], validation = [], test = [];
        for (var k = 0; k < classNames.Count; k++)
        {
            var rows = Enumerable.Range(0, labels.Count).Where(i => (int)labels[i] == k).ToArray();
            if (seenOnce is not null && rows.Length == 1) throw new WorkbenchInputException(seenOnce(k, rows[0]));
            random.Shuffle(rows);
            var t = (int)Math.Round(rows.Length * testFraction);
            var v = (int)Math.Round(rows.Length * validationFraction);
            if (rows.Length - t - v < 1)
            {
                if (seenOnce is null)
                    throw new WorkbenchInputException($"Class '{MessageText.Clip(classNames[k])}' has {rows.Length} {noun}, too few to split into training, validation and test {noun}.");
                (t, v) = (Math.Min(t, rows.Length - 1), Math.Min(v, Math.Max(0, rows.Length - 1 - Math.Min(t, rows.Length - 1))));
            }
            test.AddRange(rows[..t]);
            validation.AddRange(rows[t..(t + v)]);
            train.AddRange(rows[(t + v)..]);
        }
        if (validation.Count < 2 || (testFraction > 0 && test.Count < 2))
            throw new WorkbenchInputException(source is null
                ? $"{labels.Count} {noun} are too few to split into training, validation ({validation.Count}) and test ({test.Count}) {noun}."
                : $"{source} has {labels.Count} {noun}, too few to split into training, validation ({validation.Count}) and test ({test.Count}) {noun}.");
        int[] Shuffled(List<int> part)
        {
            var a = part.ToArray();
            random.Shuffle(a);
            return a;
        }
        return (Shuffled(train), Shuffled(validation), Shuffled(test));
    }
}
