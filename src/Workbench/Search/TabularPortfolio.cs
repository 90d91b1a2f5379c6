using MLWorkbench.Tasks;
using MLWorkbench.AutoML;

namespace MLWorkbench.Search;

/// <summary>
/// Configurations a tabular search tries before its sampler takes over (a zero-shot portfolio, as FLAML and
/// AutoGluon start): ML.NET's own defaults of LightGBM, FastTree and FastForest, then a few boosting settings known to
/// do well without tuning, chosen by the training data's size alone. None was chosen by looking at a benchmark data
/// set. The sampler sees them as its first trials, so it learns from strong points instead of deliberately weak ones.
/// </summary>
internal static class TabularPortfolio
{
    /// <summary>Above this many training rows the portfolio adds deeper boosting settings and drops the shallow one.</summary>
    public const int LargeAboveRows = 10_000;

    /// <summary>
    /// The portfolio for <paramref name="task"/> on <paramref name="trainRows"/> training rows, in the order given
    /// (defaults first, then by growing number of trees), limited to the trainers of <paramref name="space"/>. Every
    /// configuration names every parameter of its trainer's space and lies inside it.
    /// </summary>
    public static IReadOnlyList<TrialConfig> For(TaskKind task, int trainRows, JointSearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        var large = trainRows > LargeAboveRows;
        // ML.NET's LightGBM picks its learning rate and leaves from the data when they are unset: 0.2 and 20 up to
        // 100,000 rows, 0.25 and 30 above (features without categorical metadata, as here); LightGBM's 20 rows per leaf;
        // ML.NET's booster L2 of 0.01.
        var bigData = trainRows > 100_000;
        List<TrialConfig> configs =
        [
            LightGbm(bigData ? 30 : 20, 100, bigData ? 0.25 : 0.2, 20, 1.0, 0.01),
            // FastTree and FastForest at ML.NET's defaults: 20 leaves, 100 trees, 10 rows per leaf, FastTree's rate 0.2.
            new("fasttree", Values(("numberOfLeaves", 20), ("numberOfTrees", 100), ("minimumExampleCountPerLeaf", 10), ("learningRate", 0.2))),
            new("fastforest", Values(("numberOfLeaves", 20), ("numberOfTrees", 100), ("minimumExampleCountPerLeaf", 10), ("featureFraction", 0.7))),
        ];
        if (!large)
            // Small tables: shallow trees, a slower rate and more of them, some column subsampling and L2 (the
            // regularized end of FLAML's zero-shot LightGBM settings).
            configs.Add(LightGbm(8, 500, 0.05, 10, 0.8, 1.0));
        // FLAML's zero-shot LightGBM portfolio leads with about 40 leaves, a rate near 0.02, ~1,000 trees, three
        // quarters of the columns per tree and strong L2 (clipped here to the space's 10).
        configs.Add(LightGbm(42, 1000, 0.02, 12, 0.75, 10));
        if (large)
            // AutoGluon's "GBMLarge": 128 leaves at rate 0.03 with 90% of the columns and few rows per leaf, for tables
            // with enough rows to fill them.
            configs.Add(LightGbm(128, 1000, 0.03, 3, 0.9, 1e-6));
        var trainers = space.Trainers.ToDictionary(t => t.Trainer, StringComparer.Ordinal);
        return configs.Where(c => trainers.ContainsKey(c.Trainer) && Fits(trainers[c.Trainer], c)).ToArray();
    }

    private static TrialConfig LightGbm(int leaves, int iterations, double rate, int minPerLeaf, double featureFraction, double l2) =>
        new("lightgbm", Values(("numberOfLeaves", leaves), ("numberOfIterations", iterations), ("learningRate", rate),
            ("minimumExampleCountPerLeaf", minPerLeaf), ("featureFraction", featureFraction), ("l2Regularization", l2)));

    private static Dictionary<string, object> Values(params (string Name, object Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);

    // A configuration outside its trainer's space (a space narrowed later) would confuse the sampler: leave it out.
    private static bool Fits(SearchSpace space, TrialConfig config) =>
        space.Parameters.Count == config.Parameters.Count && space.Parameters.All(p => config.Parameters.TryGetValue(p.Name, out var v) && p switch
        {
            FloatDomain f => v is double d && d >= f.Low && d <= f.High,
            IntDomain i => v is int n && n >= i.Low && n <= i.High,
            ChoiceDomain c => v is string s && c.Choices.Contains(s),
            _ => false,
        });
}
