namespace MLWorkbench.Reports.Statistics;

/// <summary>
/// Holm's step-down correction (Holm 1979): keeps the chance of calling any true "no difference" a difference
/// at or below the level for the whole family of tests, without assuming they are independent.
/// </summary>
internal static class Holm
{
    /// <summary>
    /// Adjusted p-values in the order given: sorted ascending, the i-th smallest (from 0) is multiplied by
    /// (m − i), made non-decreasing and capped at 1; NaN entries are not tests and stay NaN (m counts the others).
    /// A test is significant at level α for the family when its adjusted p is below α.
    /// </summary>
    public static double[] Adjust(IReadOnlyList<double> pValues)
    {
        var adjusted = pValues.Select(_ => double.NaN).ToArray();
        var order = Enumerable.Range(0, pValues.Count).Where(i => !double.IsNaN(pValues[i])).OrderBy(i => pValues[i]).ToArray();
        var running = 0.0;
        for (var rank = 0; rank < order.Length; rank++)
        {
            running = Math.Max(running, Math.Min(1, (order.Length - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }
}
