using MLWorkbench.Data;
using MLWorkbench.Results;

namespace MLWorkbench.Models;

/// <summary>
/// A way to train a regression model: configuration only, like an ML.NET estimator.
/// <see cref="FitAsync"/> returns the trained, immutable model.
/// </summary>
public interface IRegressionCandidate
{
    /// <summary>Short unique name, e.g. <c>lightgbm</c>.</summary>
    string Name { get; }

    /// <summary>Which family the model belongs to.</summary>
    ModelFamily Family { get; }

    /// <summary>The settings it trains with, as recorded in results.</summary>
    IReadOnlyDictionary<string, object?> Hyperparameters { get; }

    /// <summary>
    /// Trains on <paramref name="train"/>. <paramref name="validation"/> may be used for early stopping and
    /// learning curves, never for fitting weights.
    /// </summary>
    Task<IRegressionModel> FitAsync(FeatureMatrix train, FeatureMatrix validation, TrainContext context, CancellationToken cancellationToken);
}

/// <summary>A trained regression model.</summary>
public interface IRegressionModel : IDisposable
{
    /// <summary>Predicts one value per row of <paramref name="features"/> (labels are ignored).</summary>
    float[] Predict(FeatureMatrix features);

    /// <summary>Learning curves recorded during training; empty when the trainer has none.</summary>
    IReadOnlyList<Curve> Curves { get; }
}

/// <summary>What every trial shares: the seed and the device for deep models.</summary>
/// <param name="Seed">Seed for every random choice of the trial.</param>
/// <param name="Device">Where TorchSharp models run.</param>
public sealed record TrainContext(int Seed, Torch.ComputeDevice Device);
