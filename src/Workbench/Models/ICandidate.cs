using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Models;

/// <summary>
/// A configured way to train a model: configuration only, like an ML.NET estimator.
/// <see cref="FitAsync"/> returns the trained, immutable model.
/// </summary>
public interface ICandidate
{
    /// <summary>The trainer's name, e.g. <c>lightgbm</c>.</summary>
    string Name { get; }

    /// <summary>Which family the model belongs to.</summary>
    ModelFamily Family { get; }

    /// <summary>The settings it trains with, as recorded in results.</summary>
    IReadOnlyDictionary<string, object?> Hyperparameters { get; }

    /// <summary>
    /// Trains on <paramref name="train"/>. <paramref name="validation"/> may be used for early stopping and
    /// learning curves, never for fitting weights.
    /// </summary>
    Task<ITrainedModel> FitAsync(FeatureMatrix train, FeatureMatrix validation, TrainContext context, CancellationToken cancellationToken);
}

/// <summary>A trained model over a <see cref="FeatureMatrix"/>.</summary>
public interface ITrainedModel : IDisposable
{
    /// <summary>Predicts every row of <paramref name="features"/> (labels are ignored).</summary>
    Predictions Predict(FeatureMatrix features);

    /// <summary>Learning curves recorded during training; empty when the trainer has none.</summary>
    IReadOnlyList<Curve> Curves { get; }
}

/// <summary>What every trial shares: the task, the number of classes, the seed, and the device and precision for deep models.</summary>
/// <param name="Task">The task family.</param>
/// <param name="Classes">Number of classes (classification), 0 for regression.</param>
/// <param name="Seed">Seed for every random choice of the trial.</param>
/// <param name="Device">Where TorchSharp models run.</param>
/// <param name="Precision">The number format TorchSharp networks train in (auto: bf16/fp16 mixed precision on CUDA, fp32 on the CPU).</param>
public sealed record TrainContext(TaskKind Task, int Classes, int Seed, ComputeDevice Device, TrainingPrecision Precision = TrainingPrecision.Auto);
