using System.Globalization;
using System.Text;
using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models;
using MLWorkbench.Models.Torch;
using MLWorkbench.Tasks;
using MLWorkbench.Search;

namespace MLWorkbench.Tests;

public class ClassificationTests
{
    /// <summary>Three blobs in 2-D (well separated) plus a noise column; class names are words.</summary>
    private static (FeatureMatrix Train, FeatureMatrix Validation, FeatureMatrix Test) Blobs(TempFolder dir, int classes)
    {
        var random = new Random(11);
        string[] names = ["cat", "dog", "eel"];
        var text = new StringBuilder("a,b,noise,kind\n");
        for (var i = 0; i < 240; i++)
        {
            var c = i % classes;
            double a = 3 * Math.Cos(2 * Math.PI * c / 3) + random.NextDouble() - 0.5, b = 3 * Math.Sin(2 * Math.PI * c / 3) + random.NextDouble() - 0.5;
            text.Append(CultureInfo.InvariantCulture, $"{a:R},{b:R},{random.NextDouble():R},{names[c]}\n");
        }
        var data = TabularData.LoadCsv(dir.File("blobs.csv", text.ToString()));
        var task = classes == 2 ? TaskKind.BinaryClassification : TaskKind.MulticlassClassification;
        var split = HoldoutSplit.Create(data.Rows.Count, 0.2, 0.2, 5);
        var featurizer = TabularFeaturizer.Fit(data, "kind", task, split.Train);
        Assert.Equal(names[..classes], featurizer.ClassNames);
        return (featurizer.Transform(data, split.Train), featurizer.Transform(data, split.Validation), featurizer.Transform(data, split.Test));
    }

    public static TheoryData<string, int> Trainers()
    {
        var data = new TheoryData<string, int>();
        foreach (var t in TrainerCatalog.For(TaskKind.BinaryClassification)) data.Add(t.Name, 2);
        foreach (var t in TrainerCatalog.For(TaskKind.MulticlassClassification)) data.Add(t.Name, 3);
        return data;
    }

    [Theory]
    [MemberData(nameof(Trainers))]
    public async Task Every_classifier_separates_blobs_with_probabilities(string name, int classes)
    {
        using var dir = new TempFolder();
        var (train, validation, test) = Blobs(dir, classes);
        var task = classes == 2 ? TaskKind.BinaryClassification : TaskKind.MulticlassClassification;
        var candidate = name == "mlp" ? new MlpCandidate(maxEpochs: 60) : TrainerCatalog.Find(name)!.CreateDefault(task);
        using var model = await candidate.FitAsync(train, validation, new TrainContext(task, classes, 1, ComputeDevice.Cpu), CancellationToken.None);
        var predictions = model.Predict(test);
        Assert.All(predictions.Probabilities!, p => Assert.Equal(1.0, p.Sum(), 3));
        var metrics = TaskMetrics.Compute(task, test.Labels, predictions, classes);
        Assert.True(metrics[ClassificationMetrics.Accuracy] >= 0.9, $"{name}: accuracy {metrics[ClassificationMetrics.Accuracy]:0.000}");
    }

    [Fact]
    public void Metrics_match_hand_computed_values()
    {
        float[] actual = [0, 0, 1, 1];
        var predicted = Predictions.FromProbabilities([[0.9f, 0.1f], [0.4f, 0.6f], [0.2f, 0.8f], [0.7f, 0.3f]]);
        var m = ClassificationMetrics.Compute(actual, predicted, 2);
        Assert.Equal(0.5, m[ClassificationMetrics.Accuracy], 6);
        Assert.Equal(0.75, m[ClassificationMetrics.Auc], 6); // positives 0.8, 0.3 vs negatives 0.1, 0.6: 3 of 4 pairs ordered
        Assert.Equal(0.5, m[ClassificationMetrics.F1], 6);
        Assert.Equal(-(Math.Log(0.9) + Math.Log(0.4) + Math.Log(0.8) + Math.Log(0.3)) / 4, m[ClassificationMetrics.LogLoss], 5);
    }

    [Fact]
    public void Binary_task_with_three_classes_and_constant_label_are_clear_errors()
    {
        using var dir = new TempFolder();
        var three = TabularData.LoadCsv(dir.File("three.csv", "x,y\n1,a\n2,b\n3,c\n"));
        Assert.Contains("exactly 2", Assert.Throws<WorkbenchInputException>(() => TabularFeaturizer.Fit(three, "y", TaskKind.BinaryClassification, [0, 1, 2])).Message);
        var constant = TabularData.LoadCsv(dir.File("constant.csv", "x,y\n1,a\n2,a\n"));
        Assert.Contains("same value", Assert.Throws<WorkbenchInputException>(() => TabularFeaturizer.Fit(constant, "y", TaskKind.MulticlassClassification, [0, 1])).Message);
    }
}
