using Microsoft.ML;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace MLWorkbench.Models.MlNet;

/// <summary>
/// The ML.NET regression trainers MLWorkbench offers, each with its settings written out so that results
/// record exactly what ran. Linear learners get min-max normalization first, as they need it.
/// </summary>
internal static class MlNetRegressionTrainers
{
    public static IEnumerable<IRegressionCandidate> All()
    {
        yield return Sdca();
        yield return LbfgsPoisson();
        yield return OnlineGradientDescent();
        yield return FastTree();
        yield return FastTreeTweedie();
        yield return FastForest();
        yield return Gam();
        yield return LightGbm();
    }

    private static IEstimator<ITransformer> Normalized(MLContext ml, IEstimator<ITransformer> trainer) =>
        ml.Transforms.NormalizeMinMax("Features").Append(trainer);

    private static IRegressionCandidate Sdca()
    {
        const int iterations = 100;
        return new MlNetRegressionCandidate("sdca",
            new Dictionary<string, object?> { ["maximumNumberOfIterations"] = iterations, ["l2Regularization"] = "auto", ["normalization"] = "min-max" },
            ml => Normalized(ml, ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { MaximumNumberOfIterations = iterations })));
    }

    private static IRegressionCandidate LbfgsPoisson()
    {
        var options = new LbfgsPoissonRegressionTrainer.Options { L1Regularization = 1f, L2Regularization = 1f, OptimizationTolerance = 1e-7f };
        return new MlNetRegressionCandidate("lbfgs-poisson",
            new Dictionary<string, object?> { ["l1Regularization"] = 1.0, ["l2Regularization"] = 1.0, ["optimizationTolerance"] = 1e-7, ["normalization"] = "min-max" },
            ml => Normalized(ml, ml.Regression.Trainers.LbfgsPoissonRegression(options)));
    }

    private static IRegressionCandidate OnlineGradientDescent()
    {
        var options = new OnlineGradientDescentTrainer.Options { LearningRate = 0.1f, NumberOfIterations = 10, DecreaseLearningRate = true };
        return new MlNetRegressionCandidate("ogd",
            new Dictionary<string, object?> { ["learningRate"] = 0.1, ["numberOfIterations"] = 10, ["decreaseLearningRate"] = true, ["normalization"] = "min-max" },
            ml => Normalized(ml, ml.Regression.Trainers.OnlineGradientDescent(options)));
    }

    private static IRegressionCandidate FastTree()
    {
        var options = new FastTreeRegressionTrainer.Options { NumberOfLeaves = 20, NumberOfTrees = 100, MinimumExampleCountPerLeaf = 10, LearningRate = 0.2 };
        return new MlNetRegressionCandidate("fasttree", Trees(options.NumberOfLeaves, options.NumberOfTrees, options.MinimumExampleCountPerLeaf, options.LearningRate),
            ml => ml.Regression.Trainers.FastTree(options));
    }

    private static IRegressionCandidate FastTreeTweedie()
    {
        var options = new FastTreeTweedieTrainer.Options { NumberOfLeaves = 20, NumberOfTrees = 100, MinimumExampleCountPerLeaf = 10, LearningRate = 0.2 };
        return new MlNetRegressionCandidate("fasttree-tweedie", Trees(options.NumberOfLeaves, options.NumberOfTrees, options.MinimumExampleCountPerLeaf, options.LearningRate),
            ml => ml.Regression.Trainers.FastTreeTweedie(options));
    }

    private static IRegressionCandidate FastForest()
    {
        var options = new FastForestRegressionTrainer.Options { NumberOfLeaves = 20, NumberOfTrees = 100, MinimumExampleCountPerLeaf = 10 };
        return new MlNetRegressionCandidate("fastforest", Trees(options.NumberOfLeaves, options.NumberOfTrees, options.MinimumExampleCountPerLeaf, null),
            ml => ml.Regression.Trainers.FastForest(options));
    }

    private static IRegressionCandidate Gam()
    {
        var options = new GamRegressionTrainer.Options { NumberOfIterations = 9500, LearningRate = 0.002, MaximumBinCountPerFeature = 255 };
        return new MlNetRegressionCandidate("gam",
            new Dictionary<string, object?> { ["numberOfIterations"] = 9500, ["learningRate"] = 0.002, ["maximumBinCountPerFeature"] = 255 },
            ml => ml.Regression.Trainers.Gam(options));
    }

    private static IRegressionCandidate LightGbm()
    {
        var options = new LightGbmRegressionTrainer.Options { NumberOfLeaves = 31, NumberOfIterations = 100, MinimumExampleCountPerLeaf = 20, LearningRate = 0.1 };
        return new MlNetRegressionCandidate("lightgbm", Trees(31, 100, 20, 0.1),
            ml => ml.Regression.Trainers.LightGbm(options));
    }

    private static Dictionary<string, object?> Trees(int? leaves, int trees, int minPerLeaf, double? learningRate)
    {
        var h = new Dictionary<string, object?> { ["numberOfLeaves"] = leaves, ["numberOfTrees"] = trees, ["minimumExampleCountPerLeaf"] = minPerLeaf };
        if (learningRate is { } lr) h["learningRate"] = lr;
        return h;
    }
}
