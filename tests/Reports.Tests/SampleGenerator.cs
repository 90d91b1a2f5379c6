using MLWorkbench.Results;

namespace MLWorkbench.Reports.Tests;

/// <summary>
/// Writes the recorded results files <c>Data/classification-results.json</c> (a binary and a multiclass
/// experiment) and <c>Data/automl-results.json</c> (two AutoML searches with different tuners on the same
/// data). The runner did not record per-row predictions, folds or searches when these were made, so the
/// models are simulated: each row's prediction comes from a latent score shared in part between models
/// (models err on the same hard rows), and every metric in the files is computed from the per-row data
/// with the runner's definitions. Deterministic: the same seed gives the same files.
/// </summary>
internal static class SampleGenerator
{
    private static readonly DateTimeOffset Started = new(2026, 11, 30, 9, 14, 5, TimeSpan.Zero);

    public static RunResults Classification()
    {
        var random = new Random(7);
        var results = NewRun("classification", Started, 48.6, "mlwb run experiments/classification.yaml",
            "5b2f0f7f3c1e8a9d64b1c0e2a7d95f3186c4e0b2d7a9f1c3e5b7d9f0a2c4e6b8");
        results.Experiments.Add(Binary(random));
        results.Experiments.Add(Multiclass(random));
        return results;
    }

    public static RunResults AutoML()
    {
        var random = new Random(11);
        var results = NewRun("ames-automl", Started.AddHours(2), 1261.4, "mlwb run experiments/ames-automl.yaml",
            "9e1d3c5a7b2f4e6d8c0a1b3d5f7e9c2a4b6d8f0e1c3a5b7d9f2e4c6a8b0d1f3e");
        var labels = Enumerable.Range(0, 586).Select(_ => Math.Round(Math.Exp(12.02 + 0.4 * Normal(random)) / 100) * 100).ToList();
        results.Experiments.Add(Search(random, "ames-tpe", "tpe", labels, resumed: 0, improving: true));
        results.Experiments.Add(Search(random, "ames-random", "random", labels, resumed: 12, improving: false));
        return results;
    }

    /// <summary>Writes both files into <paramref name="folder"/>.</summary>
    public static void Write(string folder)
    {
        ResultsFile.Write(Classification(), Path.Combine(folder, "classification-results.json"));
        ResultsFile.Write(AutoML(), Path.Combine(folder, "automl-results.json"));
    }

    private static RunResults NewRun(string suite, DateTimeOffset started, double seconds, string command, string suiteSha) => new()
    {
        SchemaVersion = "1.1",
        Suite = suite,
        StartedUtc = started,
        FinishedUtc = started.AddSeconds(seconds),
        Environment = new EnvironmentInfo
        {
            Os = "Debian GNU/Linux 12 (bookworm)",
            Cpu = "Intel(R) Xeon(R) Processor",
            CpuCount = 2,
            Dotnet = ".NET 10.0.12",
            Packages = new()
            {
                ["MLWorkbench"] = "0.1.0", ["Microsoft.ML"] = "5.0.1", ["Microsoft.ML.FastTree"] = "5.0.1",
                ["Microsoft.ML.LightGbm"] = "5.0.1", ["TorchSharp"] = "0.107.0", ["libtorch-cpu-linux-x64"] = "2.10.0",
                ["Microsoft.Data.Sqlite"] = "11.0.0",
            },
            Device = "cpu",
            Seed = 42,
            CommandLine = command,
            SuiteSha256 = suiteSha,
        },
    };

    // Breast cancer (569 rows, 20% test): 114 test rows, malignant (the positive, second class) about 37%.
    private static ExperimentResult Binary(Random random)
    {
        var test = Labels(random, 114, [72, 42]);
        var validation = Labels(random, 114, [71, 43]);
        var testHardness = test.Select(_ => Normal(random)).ToArray();
        var validationHardness = validation.Select(_ => Normal(random)).ToArray();
        (string Name, string Family, double Separation, double Seconds, double Micro, Dictionary<string, object?> Settings)[] models =
        [
            ("lightgbm", "mlnet", 4.8, 0.412, 21.3, new() { ["numberOfLeaves"] = 31, ["numberOfIterations"] = 100, ["learningRate"] = 0.1, ["minimumExampleCountPerLeaf"] = 20 }),
            ("sdca", "mlnet", 4.7, 0.351, 4.12, new() { ["maximumNumberOfIterations"] = 100, ["l2Regularization"] = "auto", ["normalization"] = "min-max" }),
            ("lbfgs", "mlnet", 4.6, 0.184, 3.71, new() { ["l1Regularization"] = 0.0, ["l2Regularization"] = 1.0, ["optimizationTolerance"] = 1e-7 }),
            ("mlp", "torch", 4.5, 6.83, 9.48, new() { ["width"] = 64, ["depth"] = 2, ["dropout"] = 0.1, ["learningRate"] = 0.001, ["maxEpochs"] = 200, ["patience"] = 20 }),
            ("fastforest", "mlnet", 4.1, 0.617, 38.2, new() { ["numberOfLeaves"] = 20, ["numberOfTrees"] = 100, ["minimumExampleCountPerLeaf"] = 10 }),
            ("fasttree", "mlnet", 4.0, 0.528, 25.6, new() { ["numberOfLeaves"] = 20, ["numberOfTrees"] = 100, ["learningRate"] = 0.2 }),
            ("gam", "mlnet", 3.6, 1.93, 31.4, new() { ["numberOfIterations"] = 9500, ["learningRate"] = 0.002, ["maximumBinCountPerFeature"] = 255 }),
        ];
        var e = new ExperimentResult
        {
            Name = "breast-cancer-diagnosis",
            Task = "binary",
            PrimaryMetric = "accuracy",
            HigherIsBetter = true,
            Dataset = Dataset("breast-cancer", "datasets/breast-cancer/breast_cancer.csv",
                "518936fa92ca3d8a78c420aee22030c4e519ffcba3be15dd23e83f2fc22e20e5", 569, 31, "diagnosis",
                ["mean_radius", "mean_texture", "mean_perimeter", "mean_area", "mean_smoothness", "mean_compactness", "mean_concavity",
                 "mean_concave_points", "mean_symmetry", "mean_fractal_dimension", "radius_error", "texture_error", "perimeter_error",
                 "area_error", "smoothness_error", "compactness_error", "concavity_error", "concave_points_error", "symmetry_error",
                 "fractal_dimension_error", "worst_radius", "worst_texture", "worst_perimeter", "worst_area", "worst_smoothness",
                 "worst_compactness", "worst_concavity", "worst_concave_points", "worst_symmetry", "worst_fractal_dimension"]),
            Split = new SplitInfo { Kind = "holdout", Seed = 42, TrainRows = 341, ValidationRows = 114, TestRows = 114 },
            ClassNames = ["benign", "malignant"],
            TestLabels = [.. test.Select(c => (double)c)],
        };
        foreach (var (name, family, separation, seconds, micro, settings) in models)
        {
            var testScores = BinaryScores(random, test, testHardness, separation).Select(s => Math.Round(s, 6)).ToArray();
            var validationScores = BinaryScores(random, validation, validationHardness, separation);
            var trial = new TrialResult
            {
                Candidate = name,
                Family = family,
                Hyperparameters = settings,
                Metrics = new TrialMetrics
                {
                    Validation = BinaryMetrics(validation, validationScores),
                    Test = BinaryMetrics(test, testScores),
                },
                TrainSeconds = seconds,
                PredictMicrosecondsPerRow = micro,
                TestScores = [.. testScores],
                TestPredictions = [.. testScores.Select(s => s >= 0.5 ? 1.0 : 0.0)],
            };
            if (name == "mlp") trial.Curves = LossCurves(random, 0.69, 0.075, 0.095, 140);
            e.Trials.Add(trial);
        }
        e.Best = e.Trials.OrderByDescending(t => t.Metrics.Validation["accuracy"]).First().Candidate;
        e.FeatureImportance = Importance(random, 0.0088, [
            "worst_concave_points", "worst_perimeter", "worst_radius", "mean_concave_points", "worst_area", "worst_texture",
            "mean_texture", "area_error", "worst_smoothness", "mean_concavity", "worst_symmetry", "radius_error"]);
        return e;
    }

    // Wine (178 rows, 20% test): 36 test rows over three cultivars.
    private static ExperimentResult Multiclass(Random random)
    {
        var test = Labels(random, 36, [12, 14, 10]);
        var validation = Labels(random, 36, [12, 14, 10]);
        var testHardness = test.Select(_ => Normal(random)).ToArray();
        var validationHardness = validation.Select(_ => Normal(random)).ToArray();
        (string Name, string Family, double Separation, double Seconds, double Micro, Dictionary<string, object?> Settings)[] models =
        [
            ("lightgbm", "mlnet", 4.6, 0.287, 18.9, new() { ["numberOfLeaves"] = 31, ["numberOfIterations"] = 100, ["learningRate"] = 0.1 }),
            ("sdca", "mlnet", 4.4, 0.198, 3.35, new() { ["maximumNumberOfIterations"] = 100, ["l2Regularization"] = "auto" }),
            ("lbfgs", "mlnet", 4.3, 0.121, 3.02, new() { ["l2Regularization"] = 1.0, ["optimizationTolerance"] = 1e-7 }),
            ("mlp", "torch", 4.0, 3.91, 8.77, new() { ["width"] = 32, ["depth"] = 2, ["dropout"] = 0.1, ["learningRate"] = 0.003, ["maxEpochs"] = 150 }),
            ("fastforest", "mlnet", 3.3, 0.402, 29.5, new() { ["numberOfLeaves"] = 20, ["numberOfTrees"] = 100 }),
            ("fasttree", "mlnet", 3.1, 0.377, 22.1, new() { ["numberOfLeaves"] = 20, ["numberOfTrees"] = 100, ["learningRate"] = 0.2 }),
        ];
        var e = new ExperimentResult
        {
            Name = "wine-cultivar",
            Task = "multiclass",
            PrimaryMetric = "accuracy",
            HigherIsBetter = true,
            Dataset = Dataset("wine", "datasets/wine/wine.csv", "0b1878a85c7319cb85c8f5eed4731bac48b130b99bb19169c8ac7f55fbc984f7", 178, 14, "cultivar",
                ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids", "nonflavanoid_phenols",
                 "proanthocyanins", "color_intensity", "hue", "od280_od315_of_diluted_wines", "proline"]),
            Split = new SplitInfo { Kind = "holdout", Seed = 42, TrainRows = 106, ValidationRows = 36, TestRows = 36 },
            ClassNames = ["class_0", "class_1", "class_2"],
            TestLabels = [.. test.Select(c => (double)c)],
        };
        foreach (var (name, family, separation, seconds, micro, settings) in models)
        {
            var (testPredicted, testProbability) = ClassPredictions(random, test, testHardness, separation, 3);
            var (validationPredicted, validationProbability) = ClassPredictions(random, validation, validationHardness, separation, 3);
            var trial = new TrialResult
            {
                Candidate = name,
                Family = family,
                Hyperparameters = settings,
                Metrics = new TrialMetrics
                {
                    Validation = ClassMetrics(validation, validationPredicted, validationProbability, 3),
                    Test = ClassMetrics(test, testPredicted, testProbability, 3),
                },
                TrainSeconds = seconds,
                PredictMicrosecondsPerRow = micro,
                TestPredictions = [.. testPredicted.Select(c => (double)c)],
            };
            if (name == "mlp") trial.Curves = LossCurves(random, 1.10, 0.05, 0.12, 90);
            e.Trials.Add(trial);
        }
        e.Best = e.Trials.OrderByDescending(t => t.Metrics.Validation["accuracy"]).First().Candidate;
        return e;
    }

    // An AutoML search on Ames housing (2,930 rows, 20% test), regression on Sale_Price, 5-fold cross-validation.
    private static ExperimentResult Search(Random random, string name, string tuner, List<double> labels, int resumed, bool improving)
    {
        const int folds = 5, trials = 36;
        var foldOffset = new[] { -900.0, 1400, -300, 2100, -1700 };
        var e = new ExperimentResult
        {
            Name = name,
            Task = "regression",
            PrimaryMetric = "rmse",
            HigherIsBetter = false,
            Dataset = Dataset("ames", "datasets/ames/ames.csv", "194277eff83bf330bc4f44f95f191e6331e6fd17428dc98516ca75c2a555cd14", 2930, 74, "Sale_Price",
                ["MS_SubClass", "MS_Zoning", "Lot_Frontage", "Lot_Area", "Neighborhood", "Bldg_Type", "House_Style", "Overall_Cond", "Year_Built",
                 "Year_Remod_Add", "Total_Bsmt_SF", "First_Flr_SF", "Second_Flr_SF", "Gr_Liv_Area", "Full_Bath", "Half_Bath", "TotRms_AbvGrd",
                 "Fireplaces", "Garage_Cars", "Garage_Area", "Longitude", "Latitude"]),
            Split = new SplitInfo { Kind = "5-fold cross-validation", Seed = 42, TrainRows = 2344, ValidationRows = 469, TestRows = 586 },
            TestLabels = labels,
        };
        var clock = 0.0;
        string[] candidates = ["lightgbm", "fasttree", "fastforest", "sdca"];
        var baseRmse = new Dictionary<string, double> { ["lightgbm"] = 24600, ["fasttree"] = 25900, ["fastforest"] = 28800, ["sdca"] = 33500 };
        for (var number = 0; number < trials; number++)
        {
            // TPE settles on the strong candidate and tightens around good settings; random search keeps exploring.
            var progress = improving ? Math.Min(1, number / 20.0) : 0;
            var candidate = improving && number >= 8 && random.NextDouble() < 0.75 ? "lightgbm" : candidates[random.Next(candidates.Length)];
            var leaves = improving && number >= 8 ? 24 + random.Next(24) : 4 + random.Next(124);
            var learningRate = Math.Round(Math.Exp(Math.Log(0.01) + random.NextDouble() * Math.Log(30) * (1 - 0.5 * progress)), 4);
            var mean = baseRmse[candidate] * (1 + 0.18 * Math.Abs(Math.Log(learningRate / 0.08)) / 3 + 0.0006 * Math.Abs(leaves - 36)) * (1 - 0.03 * progress)
                       + 600 * Normal(random);
            var duration = (candidate == "fastforest" ? 33 : candidate == "sdca" ? 9 : 21) * (0.6 + random.NextDouble()) * (leaves / 48.0 + 0.5);
            var trial = new TrialResult
            {
                Candidate = candidate,
                Family = "mlnet",
                Number = number,
                Hyperparameters = candidate == "sdca"
                    ? new() { ["l2Regularization"] = Math.Round(learningRate * 10, 4), ["maximumNumberOfIterations"] = 50 + leaves }
                    : new() { ["numberOfLeaves"] = leaves, ["learningRate"] = learningRate, ["minimumExampleCountPerLeaf"] = 5 + random.Next(45) },
            };
            var fold = new List<Dictionary<string, double>>();
            for (var k = 0; k < folds; k++)
            {
                var rmse = Math.Round(mean + foldOffset[k] + 700 * Normal(random), 1);
                fold.Add(new() { ["rmse"] = rmse, ["mae"] = Math.Round(rmse * (0.62 + 0.02 * random.NextDouble()), 1), ["r2"] = Math.Round(1 - rmse * rmse / 6.3e9, 4) });
                // The median pruner stops a trial whose second fold is well behind the others.
                if (k == 1 && number >= 6 && mean > 31000 && random.NextDouble() < 0.8)
                {
                    trial.Status = TrialStatus.Pruned;
                    trial.Reason = $"stopped after fold 2 of {folds}: rmse {Math.Round(rmse):N0} is worse than the median of earlier trials at that fold";
                    break;
                }
            }
            if (number == 17 && !improving)
            {
                trial.Status = TrialStatus.Failed;
                trial.Reason = "InvalidOperationException: SDCA did not converge: the loss became NaN after 3 epochs (l2Regularization too small).";
                fold.Clear();
            }
            clock += duration * fold.Count / folds / 2 + 0.4;
            trial.TrainSeconds = Math.Round(duration * Math.Max(1, fold.Count) / folds, 3);
            trial.FinishedAtSeconds = Math.Round(clock, 2);
            if (fold.Count > 0)
            {
                trial.Folds = fold;
                trial.Metrics.Validation = fold[0].Keys.ToDictionary(m => m, m => Math.Round(fold.Average(f => f[m]), 4));
                trial.ValidationStd = fold[0].Keys.ToDictionary(m => m, m => Math.Round(Sd(fold.Select(f => f[m]).ToArray()), 4));
            }
            e.Trials.Add(trial);
        }
        // The budget (600 s) stopped the search: the last trial finished just before it ran out.
        foreach (var t in e.Trials) t.FinishedAtSeconds = Math.Round(t.FinishedAtSeconds!.Value * 588 / clock, 2);
        var bestTrial = e.Trials.Where(t => t.Status == TrialStatus.Succeeded).OrderBy(t => t.Metrics.Validation["rmse"]).First();
        e.Best = bestTrial.Candidate;
        var scale = bestTrial.Metrics.Validation["rmse"] / 24000;
        var predictions = labels.Select(y => Math.Round(y * Math.Exp(0.105 * scale * Normal(random)) + 1500 * Normal(random), 1)).ToList();
        var final = new TrialResult
        {
            Candidate = bestTrial.Candidate,
            Family = bestTrial.Family,
            Number = bestTrial.Number,
            Hyperparameters = new(bestTrial.Hyperparameters),
            Metrics = new TrialMetrics { Validation = new(bestTrial.Metrics.Validation), Test = RegressionMetrics(labels, predictions) },
            TrainSeconds = Math.Round(bestTrial.TrainSeconds * 1.2, 3),
            PredictMicrosecondsPerRow = 17.4,
            TestPredictions = predictions,
        };
        e.AutoML = new AutoMLInfo
        {
            Tuner = tuner,
            Pruner = "median",
            BudgetSeconds = 600,
            Folds = folds,
            Parallel = 2,
            StudyPath = $"reports/ames-automl/{name}.study.sqlite",
            ResumedTrials = resumed,
            StopReason = "budget",
            Final = final,
            ModelPath = $"reports/ames-automl/{name}.model.zip",
        };
        e.FeatureImportance = Importance(random, 9200, [
            "Gr_Liv_Area", "Year_Built", "Total_Bsmt_SF", "Neighborhood", "Garage_Cars", "First_Flr_SF", "Year_Remod_Add", "Garage_Area",
            "Lot_Area", "Fireplaces", "Longitude", "Full_Bath", "Latitude", "Overall_Cond", "TotRms_AbvGrd", "MS_Zoning", "Second_Flr_SF",
            "Half_Bath", "Bldg_Type", "House_Style", "Lot_Frontage", "MS_SubClass"]);
        return e;
    }

    private static DatasetInfo Dataset(string name, string path, string sha, int rows, int columns, string label, List<string> features) =>
        new() { Name = name, Path = path, Sha256 = sha, Rows = rows, Columns = columns, Label = label, Features = features };

    private static int[] Labels(Random random, int n, int[] perClass)
    {
        var labels = perClass.SelectMany((count, c) => Enumerable.Repeat(c, count)).ToArray();
        if (labels.Length != n) throw new InvalidOperationException("Class counts must add up to the rows.");
        random.Shuffle(labels);
        return labels;
    }

    private static double[] BinaryScores(Random random, int[] labels, double[] hardness, double separation) =>
        [.. labels.Select((y, i) =>
        {
            var z = (y == 1 ? 1 : -1) * separation / 2 - (y == 1 ? 1 : -1) * 0.9 * Math.Abs(hardness[i]) + 0.6 * Normal(random);
            return 1 / (1 + Math.Exp(-1.6 * z));
        })];

    private static (int[] Predicted, double[] TrueProbability) ClassPredictions(Random random, int[] labels, double[] hardness, double separation, int classes)
    {
        var predicted = new int[labels.Length];
        var probability = new double[labels.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            var logits = Enumerable.Range(0, classes).Select(c => (c == labels[i] ? separation - 1.1 * Math.Abs(hardness[i]) : 0) + 0.8 * Normal(random)).ToArray();
            var max = logits.Max();
            var sum = logits.Sum(l => Math.Exp(l - max));
            predicted[i] = Array.IndexOf(logits, max);
            probability[i] = Math.Exp(logits[labels[i]] - max) / sum;
        }
        return (predicted, probability);
    }

    // The runner's formulas (MetricFormulas, in the results contract), applied to the simulated rows.
    private static Dictionary<string, double> BinaryMetrics(int[] y, double[] scores)
    {
        var predicted = scores.Select(s => s >= 0.5 ? 1 : 0).ToArray();
        var trueProbability = y.Select((c, i) => c == 1 ? scores[i] : 1 - scores[i]).ToArray();
        var metrics = ClassMetrics(y, predicted, trueProbability, 2);
        metrics["auc"] = MetricFormulas.AreaUnderRoc(scores.Select((s, i) => (s, y[i] == 1)));
        return metrics;
    }

    private static Dictionary<string, double> ClassMetrics(int[] y, int[] predicted, double[] trueProbability, int classes)
    {
        var f1 = new double[classes];
        for (var c = 0; c < classes; c++)
        {
            var hits = y.Where((v, i) => v == c && predicted[i] == c).Count();
            f1[c] = MetricFormulas.F1(hits, predicted.Count(v => v == c), y.Count(v => v == c));
        }
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = y.Where((v, i) => v == predicted[i]).Count() / (double)y.Length,
            ["macroF1"] = f1.Average(),
            ["logLoss"] = trueProbability.Average(MetricFormulas.LogLoss),
        };
        if (classes == 2) metrics["f1"] = f1[1];
        return metrics;
    }

    private static Dictionary<string, double> RegressionMetrics(List<double> y, List<double> p)
    {
        var mean = y.Average();
        var se = y.Select((v, i) => (p[i] - v) * (p[i] - v)).Sum();
        return new()
        {
            ["rmse"] = Math.Sqrt(se / y.Count),
            ["mae"] = y.Select((v, i) => Math.Abs(p[i] - v)).Average(),
            ["r2"] = MetricFormulas.RSquared(se, y.Sum(v => (v - mean) * (v - mean))),
        };
    }

    private static List<Curve> LossCurves(Random random, double start, double trainEnd, double validationEnd, int epochs)
    {
        double[] Decay(double end, double noise) =>
            [.. Enumerable.Range(0, epochs).Select(e => Math.Round(end + (start - end) * Math.Exp(-e / (epochs / 8.0)) + noise * Math.Abs(Normal(random)), 5))];
        return
        [
            new Curve { Name = "train loss", Per = "epoch", Values = [.. Decay(trainEnd, 0.004)] },
            new Curve { Name = "validation loss", Per = "epoch", Values = [.. Decay(validationEnd, 0.008)] },
        ];
    }

    private static List<FeatureImportance> Importance(Random random, double largest, string[] features) =>
        [.. features.Select((f, i) =>
        {
            var importance = largest * Math.Pow(0.72, i) * (0.9 + 0.2 * random.NextDouble());
            return new FeatureImportance { Feature = f, Importance = Math.Round(importance, 6), StandardDeviation = Math.Round(importance * (0.15 + 0.25 * random.NextDouble()), 6) };
        }).OrderByDescending(f => f.Importance)];

    private static double Sd(double[] values)
    {
        var mean = values.Average();
        return values.Length < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
