using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.Models.Torch;

/// <summary>The TorchSharp tabular models with their search spaces.</summary>
internal static class TorchTrainers
{
    public static IReadOnlyList<TrainerDefinition<FeatureMatrix>> All { get; } = [LinearGradientDescent(), Mlp()];

    private static TrainerDefinition<FeatureMatrix> LinearGradientDescent() => new("linear-gd", ModelFamily.Torch, new HashSet<TaskKind> { TaskKind.Regression },
        task => new SearchSpace("linear-gd",
            [new IntDomain("steps", 50, 2000, Log: true), new FloatDomain("learningRate", 1e-3, 0.5, Log: true)],
            new Dictionary<string, object> { ["steps"] = 100, ["learningRate"] = 0.05 }, RelativeCost: 2),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            return new GradientDescentLinearCandidate(p.Or(p.Int("steps"), 400, "steps"), p.Or(p.Double("learningRate"), 0.05, "learningRate"));
        });

    private static TrainerDefinition<FeatureMatrix> Mlp() => new("mlp", ModelFamily.Torch,
        new HashSet<TaskKind> { TaskKind.Regression, TaskKind.BinaryClassification, TaskKind.MulticlassClassification },
        task => new SearchSpace("mlp",
            [new IntDomain("width", 16, 256, Log: true), new IntDomain("depth", 1, 4), new FloatDomain("dropout", 0, 0.5),
             new FloatDomain("learningRate", 1e-4, 1e-2, Log: true), new ChoiceDomain("batchSize", ["16", "32", "64", "128"]),
             new FloatDomain("weightDecay", 1e-6, 1e-2, Log: true), new IntDomain("maxEpochs", 20, 300, Log: true)],
            new Dictionary<string, object> { ["width"] = 32, ["depth"] = 1, ["dropout"] = 0.0, ["learningRate"] = 3e-3, ["batchSize"] = "64", ["weightDecay"] = 1e-4, ["maxEpochs"] = 20 },
            RelativeCost: 8),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            var batch = p.String("batchSize") is { } b ? int.Parse(b, System.Globalization.CultureInfo.InvariantCulture) : 32;
            return new MlpCandidate(p.Or(p.Int("width"), 64, "width"), p.Or(p.Int("depth"), 2, "depth"), p.Or(p.Double("dropout"), 0.1, "dropout"),
                p.Or(p.Double("learningRate"), 1e-3, "learningRate"), batch, p.Or(p.Int("maxEpochs"), 300, "maxEpochs"),
                weightDecay: p.Or(p.Double("weightDecay"), 1e-4, "weightDecay"));
        });
}
