using MLWorkbench.Data;
using MLWorkbench.Evaluation;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Models;

/// <summary>
/// A configured way to train a model on data of type <typeparamref name="TData"/> (a <see cref="FeatureMatrix"/> of
/// tabular rows, images, texts or sentence pairs): configuration only, like an ML.NET estimator.
/// <see cref="FitAsync"/> returns the trained, immutable model.
/// </summary>
/// <typeparam name="TData">The labelled data the candidate trains on and its model predicts.</typeparam>
internal interface ICandidate<TData> where TData : ILabelledData
{
    /// <summary>The trainer's name, e.g. <c>lightgbm</c> or <c>cnn</c>.</summary>
    string Name { get; }

    /// <summary>Which family the model belongs to.</summary>
    ModelFamily Family { get; }

    /// <summary>The settings it trains with, as recorded in results.</summary>
    IReadOnlyDictionary<string, object?> Hyperparameters { get; }

    /// <summary>
    /// Why the candidate cannot run here (e.g. weight files missing), or null when it can. A candidate that cannot
    /// run is recorded as <c>skipped</c> with this reason.
    /// </summary>
    string? SkipReason => null;

    /// <summary>
    /// Trains on <paramref name="train"/>. <paramref name="validation"/> may be used for early stopping and
    /// learning curves, never for fitting weights.
    /// </summary>
    Task<ITrainedModel<TData>> FitAsync(TData train, TData validation, TrainContext context, CancellationToken cancellationToken);
}

/// <summary>A trained model over data of type <typeparamref name="TData"/>.</summary>
/// <typeparam name="TData">The labelled data it predicts.</typeparam>
internal interface ITrainedModel<TData> : IDisposable where TData : ILabelledData
{
    /// <summary>Predicts every row of <paramref name="data"/> (labels are ignored).</summary>
    Predictions Predict(TData data);

    /// <summary>Learning curves recorded during training; empty when the trainer has none.</summary>
    IReadOnlyList<Curve> Curves { get; }
}

/// <summary>What every trial shares: the task, the number of classes, the seed, and the device and precision for deep models.</summary>
/// <param name="Task">The task family.</param>
/// <param name="Classes">Number of classes (classification), 0 for regression.</param>
/// <param name="Seed">Seed for every random choice of the trial.</param>
/// <param name="Device">Where TorchSharp models run.</param>
/// <param name="Precision">The number format TorchSharp networks train in (auto: bf16/fp16 mixed precision on CUDA, fp32 on the CPU).</param>
internal sealed record TrainContext(TaskKind Task, int Classes, int Seed, ComputeDevice Device, TrainingPrecision Precision = TrainingPrecision.Auto)
{
    /// <summary>
    /// The seconds this fit may take, when a search limits it (null: no limit). Networks that honour it plan their
    /// steps to end before it and keep the model they have when it comes; others ignore it (the search cancels them).
    /// </summary>
    public TrainingTimeLimit? TimeLimit { get; init; }
}

/// <summary>
/// The time a fit may take, on a clock: <paramref name="Seconds"/> from <paramref name="Start"/> (a timestamp of
/// <paramref name="Clock"/>), of which the caller still needs enough to score <paramref name="ScoredAfterwards"/>
/// examples with the model once the fit returns.
/// </summary>
/// <param name="Clock">The clock the limit is read on (a search's; tests pass one they advance themselves).</param>
/// <param name="Start">When the seconds began, as a timestamp of <paramref name="Clock"/>.</param>
/// <param name="Seconds">The seconds from <paramref name="Start"/> by which the fit must have returned.</param>
/// <param name="ScoredAfterwards">Examples the caller scores with the returned model within the same seconds.</param>
internal sealed record TrainingTimeLimit(TimeProvider Clock, long Start, double Seconds, int ScoredAfterwards)
{
    /// <summary>Seconds left before the limit (negative once past it).</summary>
    public double Remaining => Seconds - Clock.GetElapsedTime(Start).TotalSeconds;
}

/// <summary>A trained model that was trained against a <see cref="TrainingTimeLimit"/> and says what it planned and trained.</summary>
internal interface ITrainingPlanReport
{
    /// <summary>The plan and what was trained; null when the fit had no time limit and no fraction of an epoch to train.</summary>
    TrainingPlan? Plan { get; }
}
