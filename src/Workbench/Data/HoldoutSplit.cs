using MLWorkbench.Tasks;

namespace MLWorkbench.Data;

/// <summary>
/// A seeded three-way division of row indices into training, validation and test rows.
/// Every candidate of an experiment sees the same split.
/// </summary>
internal sealed record HoldoutSplit(int[] Train, int[] Validation, int[] Test, int Seed)
{
    /// <summary>Shuffles <paramref name="rows"/> indices with <paramref name="seed"/> and cuts them by the fractions.</summary>
    /// <exception cref="WorkbenchInputException">The fractions are out of range or leave a part empty.</exception>
    public static HoldoutSplit Create(int rows, double validationFraction, double testFraction, int seed)
    {
        if (validationFraction <= 0 || testFraction <= 0 || validationFraction + testFraction >= 1)
            throw new WorkbenchInputException(
                $"Split fractions validation={validationFraction} and test={testFraction} must be positive and sum to less than 1.");
        var order = Enumerable.Range(0, rows).ToArray();
        new Random(seed).Shuffle(order);
        var test = (int)Math.Round(rows * testFraction);
        var validation = (int)Math.Round(rows * validationFraction);
        var train = rows - test - validation;
        if (test < 2 || validation < 2 || train < 2)
            throw new WorkbenchInputException(
                $"{rows} rows are too few to split into training ({train}), validation ({validation}) and test ({test}) rows; at least 2 each are needed.");
        return new HoldoutSplit(order[..train], order[train..(train + validation)], order[(train + validation)..], seed);
    }
}
