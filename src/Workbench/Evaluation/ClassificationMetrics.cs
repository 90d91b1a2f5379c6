using MLWorkbench.Results;
using MLWorkbench.Models;

namespace MLWorkbench.Evaluation;

/// <summary>Scores of a classifier on labelled rows it did not train on.</summary>
internal static class ClassificationMetrics
{
    /// <summary>Share of rows whose most probable class is right: the primary classification metric.</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Unweighted mean over classes of the F1 score.</summary>
    public const string MacroF1 = "macroF1";
    /// <summary>Mean negative log of the probability given to the true class (natural log, clipped at 1e-15).</summary>
    public const string LogLoss = "logLoss";
    /// <summary>Area under the ROC curve (binary only; the second class is positive).</summary>
    public const string Auc = "auc";
    /// <summary>F1 of the positive (second) class (binary only).</summary>
    public const string F1 = "f1";

    /// <summary>Computes the metrics of <paramref name="predicted"/> against class indices <paramref name="actual"/>.</summary>
    public static Dictionary<string, double> Compute(ReadOnlySpan<float> actual, Predictions predicted, int classes)
    {
        if (actual.Length != predicted.Values.Length || actual.Length == 0)
            throw new ArgumentException("Actual and predicted values must be non-empty and of the same length.");
        var confusion = new long[classes, classes];
        double logLoss = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var truth = (int)actual[i];
            confusion[truth, (int)predicted.Values[i]]++;
            var p = predicted.Probabilities?[i][truth] ?? (predicted.Values[i] == truth ? 1f : 0f);
            logLoss += MetricFormulas.LogLoss(p);
        }
        long correct = 0;
        double f1Sum = 0;
        var f1 = new double[classes];
        for (var c = 0; c < classes; c++)
        {
            correct += confusion[c, c];
            long predictedC = 0, actualC = 0;
            for (var o = 0; o < classes; o++) { predictedC += confusion[o, c]; actualC += confusion[c, o]; }
            f1[c] = MetricFormulas.F1(confusion[c, c], predictedC, actualC);
            f1Sum += f1[c];
        }
        var metrics = new Dictionary<string, double>
        {
            [Accuracy] = (double)correct / actual.Length,
            [MacroF1] = f1Sum / classes,
            [LogLoss] = logLoss / actual.Length,
        };
        if (classes == 2)
        {
            metrics[F1] = f1[1];
            if (predicted.Probabilities is not null) metrics[Auc] = AreaUnderRoc(actual, predicted.Probabilities);
        }
        return metrics;
    }

    private static double AreaUnderRoc(ReadOnlySpan<float> actual, float[][] probabilities)
    {
        var rows = new (double Score, bool Positive)[actual.Length];
        for (var i = 0; i < actual.Length; i++) rows[i] = (probabilities[i][1], actual[i] == 1);
        return MetricFormulas.AreaUnderRoc(rows);
    }
}
