namespace MLWorkbench.Reports.Statistics;

/// <summary>The models no other model beats on both cost (time) and score at once.</summary>
internal static class ParetoFront
{
    /// <summary>
    /// Indices of the non-dominated points, cheapest first. A point is dominated when another costs no
    /// more and scores no worse, and is strictly better in one of the two. Points with a non-finite
    /// cost or score are left out.
    /// </summary>
    public static int[] Indices(IReadOnlyList<double> costs, IReadOnlyList<double> scores, bool higherIsBetter)
    {
        if (costs.Count != scores.Count) throw new ArgumentException("Every point needs a cost and a score.", nameof(scores));
        var order = Enumerable.Range(0, costs.Count)
            .Where(i => double.IsFinite(costs[i]) && double.IsFinite(scores[i]))
            .Select(i => (Index: i, Cost: costs[i], Loss: higherIsBetter ? -scores[i] : scores[i]))
            .OrderBy(p => p.Cost).ThenBy(p => p.Loss).ThenBy(p => p.Index).ToList();
        var front = new List<int>();
        var bestLoss = double.PositiveInfinity;
        foreach (var p in order)
            if (p.Loss < bestLoss)
            {
                front.Add(p.Index);
                bestLoss = p.Loss;
            }
        return [.. front];
    }
}
