using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.Models.MlNet;

/// <summary>
/// The ML.NET trainers served here, each with its search space and its low-cost starting point. Linear learners
/// get min-max normalization first, as they need it. Multiclass tree trainers without a native multiclass mode
/// run one-versus-all over their binary form. A missing parameter keeps ML.NET's default.
/// </summary>
internal static class MlNetTrainers
{
    private static readonly IReadOnlySet<TaskKind> AllTasks = new HashSet<TaskKind> { TaskKind.Regression, TaskKind.BinaryClassification, TaskKind.MulticlassClassification };
    private static readonly IReadOnlySet<TaskKind> RegressionOnly = new HashSet<TaskKind> { TaskKind.Regression };
    private static readonly IReadOnlySet<TaskKind> RegressionAndBinary = new HashSet<TaskKind> { TaskKind.Regression, TaskKind.BinaryClassification };

    public static IReadOnlyList<TrainerDefinition<FeatureMatrix>> All { get; } =
        [Sdca(), Lbfgs(), OnlineGradientDescent(), FastTree(), FastTreeTweedie(), FastForest(), Gam(), LightGbm()];

    private static Dictionary<string, object> Point(params (string Name, object Value)[] values) => values.ToDictionary(v => v.Name, v => v.Value);

    private static IEstimator<ITransformer> Normalized(MLContext ml, IEstimator<ITransformer> trainer) =>
        ml.Transforms.NormalizeMinMax("Features").Append(trainer);

    private static ICandidate<FeatureMatrix> Candidate(string name, ParameterValues p, Func<MLContext, PipelineInputs, IEstimator<ITransformer>> pipeline) =>
        new MlNetCandidate(name, p.Recorded, pipeline);

    // Linear learners see min-max features, but a regression target in the millions still makes their steps and
    // regularization meaningless (issue 15: L-BFGS CV RMSE 1.4e19): they fit a scaled target, predictions scaled back.
    private static ICandidate<FeatureMatrix> Linear(string name, TaskKind task, ParameterValues p, LabelScaling scaling, Func<MLContext, PipelineInputs, IEstimator<ITransformer>> pipeline)
    {
        if (task == TaskKind.Regression) p.Recorded["targetScaling"] = scaling == LabelScaling.Standardize ? "standardized" : "divided by its mean";
        return new MlNetCandidate(name, p.Recorded, pipeline, task == TaskKind.Regression ? scaling : LabelScaling.None);
    }

    private static TrainerDefinition<FeatureMatrix> Sdca() => new("sdca", ModelFamily.MlNet, AllTasks,
        task => new SearchSpace("sdca",
            [new FloatDomain("l2Regularization", 1e-6, 10, Log: true), new FloatDomain("l1Regularization", 1e-6, 10, Log: true), new IntDomain("maximumNumberOfIterations", 10, 500, Log: true)],
            Point(("l2Regularization", 1e-3), ("l1Regularization", 1e-6), ("maximumNumberOfIterations", 20)), RelativeCost: 1),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            float? l2 = p.Float("l2Regularization"), l1 = p.Float("l1Regularization");
            int? iterations = p.Int("maximumNumberOfIterations");
            p.Recorded["normalization"] = "min-max";
            return Linear("sdca", task, p, LabelScaling.Standardize, (ml, _) => Normalized(ml, task switch
            {
                TaskKind.Regression => ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { L2Regularization = l2, L1Regularization = l1, MaximumNumberOfIterations = iterations }),
                TaskKind.BinaryClassification => ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options { L2Regularization = l2, L1Regularization = l1, MaximumNumberOfIterations = iterations }),
                _ => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options { L2Regularization = l2, L1Regularization = l1, MaximumNumberOfIterations = iterations }),
            }));
        });

    private static TrainerDefinition<FeatureMatrix> Lbfgs() => new("lbfgs", ModelFamily.MlNet, AllTasks,
        task => new SearchSpace("lbfgs",
            [new FloatDomain("l2Regularization", 1e-4, 10, Log: true), new FloatDomain("l1Regularization", 1e-4, 10, Log: true)],
            Point(("l2Regularization", 1.0), ("l1Regularization", 1.0)), RelativeCost: 1),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            var l2 = p.Or(p.Float("l2Regularization"), 1f, "l2Regularization");
            var l1 = p.Or(p.Float("l1Regularization"), 1f, "l1Regularization");
            p.Recorded["normalization"] = "min-max";
            p.Recorded["model"] = task switch { TaskKind.Regression => "poisson regression", TaskKind.BinaryClassification => "logistic regression", _ => "maximum entropy" };
            return Linear("lbfgs", task, p, LabelScaling.DivideByMean, (ml, _) => Normalized(ml, task switch
            {
                TaskKind.Regression => ml.Regression.Trainers.LbfgsPoissonRegression(new LbfgsPoissonRegressionTrainer.Options { L2Regularization = l2, L1Regularization = l1 }),
                TaskKind.BinaryClassification => ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options { L2Regularization = l2, L1Regularization = l1 }),
                _ => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options { L2Regularization = l2, L1Regularization = l1 }),
            }));
        });

    private static TrainerDefinition<FeatureMatrix> OnlineGradientDescent() => new("ogd", ModelFamily.MlNet, RegressionOnly,
        task => new SearchSpace("ogd",
            [new FloatDomain("learningRate", 1e-3, 1, Log: true), new IntDomain("numberOfIterations", 1, 100, Log: true), new FloatDomain("l2Regularization", 1e-8, 1e-1, Log: true)],
            Point(("learningRate", 0.1), ("numberOfIterations", 1), ("l2Regularization", 1e-8)), RelativeCost: 1),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            var rate = p.Or(p.Float("learningRate"), 0.1f, "learningRate");
            var iterations = p.Or(p.Int("numberOfIterations"), 1, "numberOfIterations");
            var l2 = p.Or(p.Float("l2Regularization"), 0f, "l2Regularization");
            p.Recorded["normalization"] = "min-max";
            // The learning rate is per unit of squared row length: ML.NET's fixed step diverged on a table of a few
            // hundred one-hot and numeric columns (ames: CV RMSE 1.3e17 on a log price), as each step moves the
            // prediction by the rate times that length (normalized least mean squares).
            p.Recorded["stepSize"] = "learningRate / the training rows' mean squared length after min-max";
            return Linear("ogd", task, p, LabelScaling.Standardize, (ml, inputs) =>
            {
                var options = new OnlineGradientDescentTrainer.Options
                {
                    LearningRate = (float)(rate / Math.Max(1, inputs.MeanSquaredMinMaxRowLength())),
                    NumberOfIterations = iterations,
                    L2Regularization = l2,
                };
                return Normalized(ml, ml.Regression.Trainers.OnlineGradientDescent(options));
            });
        });

    private static IReadOnlyList<ParameterDomain> TreeDomains(bool learningRate) =>
        [new IntDomain("numberOfLeaves", 4, 128, Log: true), new IntDomain("numberOfTrees", 10, 1000, Log: true),
         new IntDomain("minimumExampleCountPerLeaf", 2, 64, Log: true), .. learningRate ? [new FloatDomain("learningRate", 0.01, 0.5, Log: true)] : Array.Empty<ParameterDomain>()];

    // FastTree starts from a score of 0 without centring the label: 10 trees at rate 0.1 cannot reach a label
    // around 12 (ames' log price); 30 trees at 0.2 leave 0.1% of it.
    private static Dictionary<string, object> CheapTrees(bool learningRate) => learningRate
        ? Point(("numberOfLeaves", 4), ("numberOfTrees", 30), ("minimumExampleCountPerLeaf", 20), ("learningRate", 0.2))
        : Point(("numberOfLeaves", 4), ("numberOfTrees", 10), ("minimumExampleCountPerLeaf", 20));

    private static void ReadTrees<TOptions>(ParameterValues p, TOptions o, bool learningRate) where TOptions : TreeOptions
    {
        o.NumberOfLeaves = p.Or(p.Int("numberOfLeaves"), o.NumberOfLeaves, "numberOfLeaves");
        o.NumberOfTrees = p.Or(p.Int("numberOfTrees"), o.NumberOfTrees, "numberOfTrees");
        o.MinimumExampleCountPerLeaf = p.Or(p.Int("minimumExampleCountPerLeaf"), o.MinimumExampleCountPerLeaf, "minimumExampleCountPerLeaf");
        if (learningRate && o is BoostedTreeOptions boosted)
            boosted.LearningRate = p.Or(p.Double("learningRate"), boosted.LearningRate, "learningRate");
    }

    private static TrainerDefinition<FeatureMatrix> FastTree() => new("fasttree", ModelFamily.MlNet, AllTasks,
        task => new SearchSpace("fasttree", TreeDomains(true), CheapTrees(true), RelativeCost: 3),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            if (task == TaskKind.Regression)
            {
                var o = new FastTreeRegressionTrainer.Options();
                ReadTrees(p, o, true);
                return Candidate("fasttree", p, (ml, _) => ml.Regression.Trainers.FastTree(o));
            }
            var b = new FastTreeBinaryTrainer.Options();
            ReadTrees(p, b, true);
            if (task == TaskKind.BinaryClassification) return Candidate("fasttree", p, (ml, _) => ml.BinaryClassification.Trainers.FastTree(b));
            p.Recorded["multiclass"] = "one-versus-all";
            return Candidate("fasttree", p, (ml, _) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(b)));
        });

    private static TrainerDefinition<FeatureMatrix> FastTreeTweedie() => new("fasttree-tweedie", ModelFamily.MlNet, RegressionOnly,
        task => new SearchSpace("fasttree-tweedie", TreeDomains(true), CheapTrees(true), RelativeCost: 3),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            var o = new FastTreeTweedieTrainer.Options();
            ReadTrees(p, o, true);
            return Candidate("fasttree-tweedie", p, (ml, _) => ml.Regression.Trainers.FastTreeTweedie(o));
        });

    private static TrainerDefinition<FeatureMatrix> FastForest() => new("fastforest", ModelFamily.MlNet, AllTasks,
        task => new SearchSpace("fastforest", [.. TreeDomains(false), new FloatDomain("featureFraction", 0.3, 1.0)],
            new Dictionary<string, object>(CheapTrees(false)) { ["featureFraction"] = 1.0 }, RelativeCost: 3),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            if (task == TaskKind.Regression)
            {
                var o = new FastForestRegressionTrainer.Options();
                ReadTrees(p, o, false);
                o.FeatureFraction = p.Or(p.Double("featureFraction"), o.FeatureFraction, "featureFraction");
                return Candidate("fastforest", p, (ml, _) => ml.Regression.Trainers.FastForest(o));
            }
            var b = new FastForestBinaryTrainer.Options();
            ReadTrees(p, b, false);
            b.FeatureFraction = p.Or(p.Double("featureFraction"), b.FeatureFraction, "featureFraction");
            // A forest's score is not a probability: calibrate it (Platt) so probabilities and log-loss mean something.
            p.Recorded["calibration"] = "platt";
            if (task == TaskKind.BinaryClassification)
                return Candidate("fastforest", p, (ml, _) => ml.BinaryClassification.Trainers.FastForest(b).Append(ml.BinaryClassification.Calibrators.Platt()));
            p.Recorded["multiclass"] = "one-versus-all";
            return Candidate("fastforest", p, (ml, _) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastForest(b)));
        });

    private static TrainerDefinition<FeatureMatrix> Gam() => new("gam", ModelFamily.MlNet, RegressionAndBinary,
        task => new SearchSpace("gam",
            // Measured (benchmarks/RESULTS.md): at learning rates of 0.01 and above ML.NET's GAM shifts every ames
            // prediction by a large constant, so the range stays around its default of 0.002.
            [new IntDomain("numberOfIterations", 100, 10000, Log: true), new FloatDomain("learningRate", 5e-4, 5e-3, Log: true), new IntDomain("maximumBinCountPerFeature", 16, 255, Log: true)],
            Point(("numberOfIterations", 500), ("learningRate", 0.002), ("maximumBinCountPerFeature", 64)), RelativeCost: 4),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            int? iterations = p.Int("numberOfIterations"), bins = p.Int("maximumBinCountPerFeature");
            double? rate = p.Double("learningRate");
            if (task == TaskKind.Regression)
            {
                var o = new GamRegressionTrainer.Options();
                o.NumberOfIterations = iterations ?? o.NumberOfIterations; o.LearningRate = rate ?? o.LearningRate; o.MaximumBinCountPerFeature = bins ?? o.MaximumBinCountPerFeature;
                return Candidate("gam", p, (ml, _) => ml.Regression.Trainers.Gam(o));
            }
            var b = new GamBinaryTrainer.Options();
            b.NumberOfIterations = iterations ?? b.NumberOfIterations; b.LearningRate = rate ?? b.LearningRate; b.MaximumBinCountPerFeature = bins ?? b.MaximumBinCountPerFeature;
            return Candidate("gam", p, (ml, _) => ml.BinaryClassification.Trainers.Gam(b));
        });

    private static TrainerDefinition<FeatureMatrix> LightGbm() => new("lightgbm", ModelFamily.MlNet, AllTasks,
        task => new SearchSpace("lightgbm",
            [new IntDomain("numberOfLeaves", 4, 256, Log: true), new IntDomain("numberOfIterations", 10, 1000, Log: true),
             new FloatDomain("learningRate", 0.01, 0.5, Log: true), new IntDomain("minimumExampleCountPerLeaf", 2, 100, Log: true),
             new FloatDomain("featureFraction", 0.5, 1.0), new FloatDomain("l2Regularization", 1e-6, 10, Log: true)],
            Point(("numberOfLeaves", 4), ("numberOfIterations", 10), ("learningRate", 0.1), ("minimumExampleCountPerLeaf", 20), ("featureFraction", 1.0), ("l2Regularization", 1e-6)),
            RelativeCost: 1),
        (task, values) =>
        {
            var p = new ParameterValues(values);
            int? leaves = p.Int("numberOfLeaves"), iterations = p.Int("numberOfIterations"), minPerLeaf = p.Int("minimumExampleCountPerLeaf");
            double? rate = p.Double("learningRate"), fraction = p.Double("featureFraction"), l2 = p.Double("l2Regularization");
            var booster = new GradientBooster.Options();
            if (fraction is { } f) booster.FeatureFraction = f;
            if (l2 is { } l) booster.L2Regularization = l;
            return task switch
            {
                TaskKind.Regression => Candidate("lightgbm", p, (ml, _) => ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
                    { NumberOfLeaves = leaves, NumberOfIterations = iterations ?? 100, LearningRate = rate, MinimumExampleCountPerLeaf = minPerLeaf, Booster = booster })),
                TaskKind.BinaryClassification => Candidate("lightgbm", p, (ml, _) => ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
                    { NumberOfLeaves = leaves, NumberOfIterations = iterations ?? 100, LearningRate = rate, MinimumExampleCountPerLeaf = minPerLeaf, Booster = booster })),
                _ => Candidate("lightgbm", p, (ml, _) => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
                    { NumberOfLeaves = leaves, NumberOfIterations = iterations ?? 100, LearningRate = rate, MinimumExampleCountPerLeaf = minPerLeaf, Booster = booster })),
            };
        });
}
