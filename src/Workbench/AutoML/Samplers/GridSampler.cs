namespace MLWorkbench.AutoML;

/// <summary>
/// Grid search: per trainer, every combination of three levels per numeric parameter (middle, low end, high end,
/// on the parameter's own scale) and every choice, the middle of the space first. Trainers take turns, so each is
/// tried early; a configuration already in the history is skipped, which is also how a resumed study continues.
/// Once every grid is exhausted, random configurations follow.
/// </summary>
internal sealed class GridSampler : ISampler
{
    /// <inheritdoc/>
    public string Name => "grid";

    /// <inheritdoc/>
    public TrialConfig Propose(JointSearchSpace space, IReadOnlyList<TrialOutcome> history, Random random)
    {
        SamplerChecks.Validate(space, random);
        var tried = SamplerChecks.Keys(history);
        var grids = space.Trainers.Select(t => new Grid(t)).ToList();
        long longest = grids.Max(g => g.Size);
        for (long index = 0; index < longest; index++)
            foreach (var grid in grids)
            {
                if (index >= grid.Size) continue;
                var config = grid.At(index);
                if (!tried.Contains(config.Key)) return config;
            }
        return RandomSampler.Draw(space, tried, random);
    }

    /// <summary>The grid points of one trainer, numbered in mixed radix (the first parameter changes fastest).</summary>
    private sealed class Grid
    {
        private readonly SearchSpace space;
        private readonly List<object[]> values;

        public Grid(SearchSpace space)
        {
            this.space = space;
            double[] levels = [0.5, 0, 1];
            values = [.. space.Parameters.Select(p => p is ChoiceDomain c
                ? c.Choices.Cast<object>().ToArray()
                : levels.Select(u => UnitScale.FromUnit(p, u)).Distinct().ToArray())];
            Size = values.Aggregate(1L, (size, v) => v.Length == 0 ? 0 : size > long.MaxValue / v.Length ? long.MaxValue : size * v.Length);
        }

        /// <summary>How many points the grid has (saturating at <see cref="long.MaxValue"/>).</summary>
        public long Size { get; }

        public TrialConfig At(long index)
        {
            var parameters = new Dictionary<string, object>(values.Count, StringComparer.Ordinal);
            for (int i = 0; i < values.Count; i++)
            {
                parameters[space.Parameters[i].Name] = values[i][index % values[i].Length];
                index /= values[i].Length;
            }
            return new TrialConfig(space.Trainer, parameters);
        }
    }
}
