using MLWorkbench.Evaluation;
using MLWorkbench.Results;

namespace MLWorkbench.Models;

/// <summary>
/// Labelled examples of any kind (images, texts, sentence pairs): what the generic comparison runner needs
/// to score a model.
/// </summary>
public interface ILabelledData
{
    /// <summary>Number of examples.</summary>
    int Rows { get; }

    /// <summary>One label per example: a value (regression, similarity) or a class index.</summary>
    float[] Labels { get; }

    /// <summary>Class names by index for classification; null otherwise.</summary>
    IReadOnlyList<string>? ClassNames { get; }
}

/// <summary>
/// A configured way to train a model on examples of type <typeparamref name="TData"/>: configuration only, like an
/// ML.NET estimator. The tabular <see cref="ICandidate"/> is the same idea over a feature matrix.
/// </summary>
public interface IExampleCandidate<TData> where TData : ILabelledData
{
    /// <summary>The trainer's name.</summary>
    string Name { get; }

    /// <summary>Which family the model belongs to.</summary>
    ModelFamily Family { get; }

    /// <summary>The settings it trains with, as recorded in results.</summary>
    IReadOnlyDictionary<string, object?> Hyperparameters { get; }

    /// <summary>
    /// Why the candidate cannot run here (e.g. weight files missing), or null when it can. A candidate that cannot
    /// run is recorded as <c>skipped</c> with this reason.
    /// </summary>
    string? SkipReason { get; }

    /// <summary>Trains on <paramref name="train"/>; <paramref name="validation"/> is for early stopping and curves only.</summary>
    Task<IExampleModel<TData>> FitAsync(TData train, TData validation, TrainContext context, CancellationToken cancellationToken);
}

/// <summary>A trained model over examples of type <typeparamref name="TData"/>.</summary>
public interface IExampleModel<TData> : IDisposable where TData : ILabelledData
{
    /// <summary>Predicts every example of <paramref name="data"/> (labels are ignored).</summary>
    Predictions Predict(TData data);

    /// <summary>Learning curves recorded during training; empty when there are none.</summary>
    IReadOnlyList<Curve> Curves { get; }
}
