using MLWorkbench.Tasks;

namespace MLWorkbench.Data;

/// <summary>
/// The same k folds for every candidate of a study: seeded, and stratified by class for classification so that
/// each fold keeps the class balance. With one fold, a single 80/20 holdout.
/// </summary>
internal static class CrossValidationFolds
{
    /// <summary>
    /// Divides <paramref name="rows"/> (indices into the data) into <paramref name="folds"/> pairs of training and
    /// validation rows. <paramref name="classOf"/> gives a row's class for stratification (null for regression).
    /// </summary>
    /// <exception cref="WorkbenchInputException">Fewer rows than folds, or too few rows to validate on.</exception>
    public static IReadOnlyList<(int[] Train, int[] Validation)> Create(IReadOnlyList<int> rows, int folds, int seed, Func<int, int>? classOf = null)
    {
        if (folds < 1) throw new WorkbenchInputException($"The number of folds must be at least 1, not {folds}.");
        if (rows.Count < Math.Max(folds, 2) * 2)
            throw new WorkbenchInputException($"{rows.Count} training rows are too few for {folds}-fold cross-validation; use fewer folds or more data.");
        var random = new Random(seed);
        var order = rows.ToArray();
        random.Shuffle(order);
        var parts = Math.Max(folds, 5); // one fold = hold out one fifth
        var assignment = new Dictionary<int, int>();
        if (classOf is null)
        {
            for (var i = 0; i < order.Length; i++) assignment[order[i]] = i % parts;
        }
        else
        {
            // Deal each class's rows round-robin, continuing where the previous class stopped, so fold sizes stay even.
            var next = 0;
            foreach (var group in order.GroupBy(classOf).OrderBy(g => g.Key))
                foreach (var row in group) assignment[row] = next++ % parts;
        }
        var result = new List<(int[], int[])>();
        for (var f = 0; f < folds; f++)
        {
            var validation = order.Where(r => assignment[r] == f).ToArray();
            var train = order.Where(r => assignment[r] != f).ToArray();
            result.Add((train, validation));
        }
        return result;
    }
}
