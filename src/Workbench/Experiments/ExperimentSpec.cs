using MLWorkbench.Tasks;
using MLWorkbench.Models;

namespace MLWorkbench.Experiments;

/// <summary>
/// What to compare: one task on one data file, with the candidates to try and the split to use. A record, so that a copy
/// with a few settings changed (<c>spec with { Seed = 2 }</c>) keeps every other one.
/// </summary>
public sealed record ExperimentSpec
{
    /// <summary>Unique name within a suite.</summary>
    public required string Name { get; init; }

    /// <summary>The task family.</summary>
    public TaskKind Task { get; init; } = TaskKind.Regression;

    /// <summary>Path of the CSV/TSV data file.</summary>
    public required string DataPath { get; init; }

    /// <summary>The column to predict (empty for image folders, whose sub-folders are the classes).</summary>
    public required string Label { get; init; }

    /// <summary>A separate test file (or folder); when given, the data file is split into training and validation only.</summary>
    public string? TestPath { get; init; }

    /// <summary>A separate validation file (sentence similarity: e.g. STS-B dev).</summary>
    public string? ValidationPath { get; init; }

    /// <summary>
    /// The encoding of the data, test and validation files (and of an image list); null: UTF-8, and a file with another
    /// encoding is refused at its first invalid byte. <see cref="Data.DataFileText.ParseEncoding"/> turns a name into one.
    /// </summary>
    public System.Text.Encoding? Encoding { get; init; }

    /// <summary>The text column (text classification).</summary>
    public string? TextColumn { get; init; }

    /// <summary>Candidate names to try; empty means every candidate of the task.</summary>
    public IReadOnlyList<string> Candidates { get; init; } = [];

    /// <summary>
    /// Settings of named candidates, by candidate name: values for parameters of the candidate's search space (e.g.
    /// <c>cnn</c>: <c>maxEpochs</c>, <c>width</c>); parameters not given keep the candidate's defaults. Networks also read
    /// settings that are never searched: <c>patience</c> (evaluations without improvement before stopping); the text
    /// networks <c>maxTrainExamples</c> (fit on at most that many training texts, the first ones of the split); the
    /// fine-tuned MiniLM pair encoders <c>maxLength</c> (tokens per input), <c>evaluationsPerEpoch</c> and
    /// <c>maxTrainPairs</c>.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, object>> CandidateSettings { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, object>>();

    /// <summary>Where the selected model is saved as a <c>.mlwb</c> bundle; null: not saved.</summary>
    public string? ModelPath { get; init; }

    /// <summary>Share of rows held out for model selection (default 0.2).</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>Share of rows held out for the test figures (default 0.2).</summary>
    public double TestFraction { get; init; } = 0.2;

    /// <summary>Seed for the split and every trial.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Device for TorchSharp candidates.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;

    /// <summary>Number format TorchSharp candidates train in (auto: mixed precision on CUDA, fp32 on the CPU).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Auto;

    /// <summary>
    /// When set, the experiment is an AutoML search (over <see cref="Candidates"/>, or every trainer) with
    /// cross-validation on the training and validation rows, and the final model is scored on the test rows.
    /// </summary>
    public Search.AutoMLOptions? AutoML { get; init; }
}
