using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Evaluation;

/// <summary>
/// Permutation feature importance (Breiman 2001): how much the primary metric's loss grows when one source
/// column's values are shuffled among the rows, breaking its link to the label. Computed on rows the model did
/// not train on; repeated with different shuffles for a spread.
/// </summary>
internal static class PermutationImportance
{
    public static List<FeatureImportance> Compute(ITrainedModel<FeatureMatrix> model, TabularFeaturizer featurizer, TabularData data, IReadOnlyList<int> rows,
        TaskKind task, int classes, int seed, int repeats = 3)
    {
        var baseline = featurizer.Transform(data, rows);
        var baseLoss = TaskMetrics.Loss(task, TaskMetrics.Compute(task, baseline.Labels, model.Predict(baseline), classes));
        var random = new Random(seed);
        var result = new List<FeatureImportance>();
        foreach (var column in featurizer.UsedColumns)
        {
            var index = data.ColumnIndex(column);
            var increases = new double[repeats];
            for (var r = 0; r < repeats; r++)
            {
                var order = rows.ToArray();
                random.Shuffle(order);
                var shuffled = data.Rows.ToList();
                for (var i = 0; i < rows.Count; i++)
                {
                    var copy = (string[])data.Rows[rows[i]].Clone();
                    copy[index] = data.Rows[order[i]][index];
                    shuffled[rows[i]] = copy;
                }
                var permuted = featurizer.Transform(data.WithRows(shuffled), rows);
                increases[r] = TaskMetrics.Loss(task, TaskMetrics.Compute(task, permuted.Labels, model.Predict(permuted), classes)) - baseLoss;
            }
            var mean = increases.Average();
            result.Add(new FeatureImportance
            {
                Feature = column, Importance = mean,
                StandardDeviation = Math.Sqrt(increases.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, repeats - 1)),
            });
        }
        return result.OrderByDescending(f => f.Importance).ToList();
    }
}
