using MLWorkbench.AutoML;
using MLWorkbench.Data;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using MLWorkbench.Search;

namespace MLWorkbench.Experiments;

/// <summary>
/// AutoML searches on one holdout split, for images, texts and sentence pairs (image and text classification, sentence similarity): loads and
/// splits the data as the comparison experiments do, then prepares an <see cref="AutoMLSearch"/> (a <see cref="HoldoutObjective{TData}"/>) over the task's
/// trainers. Everything bad input can break is checked here, before anything trains.
/// </summary>
internal static class HoldoutSearches
{
    /// <summary>Share of the training data that ranks trials when no validation file is given.</summary>
    public const double ValidationFraction = 0.2;

    /// <summary>Share of the training data kept for the single test score when no test file is given.</summary>
    public const double TestFraction = 0.2;

    /// <summary>
    /// Prepares the search; the returned function runs it. <paramref name="options"/>' trainers choose among the task's
    /// trainers (its <c>*Trainers.All</c>; all searched by default unless marked otherwise; the defaults of those named are
    /// tried first, and without names the task's <c>Portfolio</c> is); <paramref name="options"/>' label names the label column of
    /// text data. <paramref name="validationPath"/> is for sentence similarity only. Without a validation or test file,
    /// those examples are the given shares of the training data (seeded; stratified for classes). <paramref name="encoding"/>
    /// is the encoding of every data file (null: UTF-8).
    /// </summary>
    /// <exception cref="WorkbenchInputException">The task is not an example task, or the data or options are wrong.</exception>
    public static Func<IProgress<TrialProgress>?, CancellationToken, Task<ExperimentResult>> Prepare(string name, TaskKind task, string trainPath,
        string? validationPath, string? testPath, string textColumn, AutoMLOptions options,
        double validationFraction = ValidationFraction, double testFraction = TestFraction, System.Text.Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (validationPath is not null && task != TaskKind.SentenceSimilarity)
            throw new WorkbenchInputException("--validation is for sentence-similarity only; other tasks keep a seeded share of the training data for validation.");
        switch (task)
        {
            case TaskKind.ImageClassification:
            {
                var prepared = ImageExperiment.Prepare(name, trainPath, testPath, validationFraction, testFraction, options.Seed, options.Device,
                    Array.Empty<ICandidate<ImageExamples>>(), new ImageLoadOptions { Encoding = encoding });
                var trainers = TrainerDefinition<ImageExamples>.Select(ImageTrainers.All, options.Trainers, task);
                return AutoMLSearch.Holdout(Identity(name, task, prepared.DatasetInfo, prepared.Train, prepared.Validation, prepared.Test, testPath, options.Seed),
                    task, prepared.Train, prepared.Validation, prepared.Test, trainers, (d, rows) => d.Subset(rows), options, (a, b) => a.Concat(b),
                    options.Trainers.Count == 0 ? ImageTrainers.Portfolio : null).RunAsync;
            }
            case TaskKind.TextClassification:
            {
                var prepared = TextExperiment.Prepare(name, trainPath, testPath, textColumn, options.Label, validationFraction, testFraction, options.Seed,
                    options.Device, Array.Empty<ICandidate<TextExamples>>(), new TextLoadOptions { Encoding = encoding });
                var trainers = TrainerDefinition<TextExamples>.Select(TextTrainers.All, options.Trainers, task);
                return AutoMLSearch.Holdout(Identity(name, task, prepared.DatasetInfo, prepared.Train, prepared.Validation, prepared.Test, testPath, options.Seed),
                    task, prepared.Train, prepared.Validation, prepared.Test, trainers, (d, rows) => d.Subset(rows), options, (a, b) => a.Concat(b),
                    options.Trainers.Count == 0 ? TextTrainers.Portfolio : null).RunAsync;
            }
            case TaskKind.SentenceSimilarity:
            {
                var prepared = SimilarityExperiment.Prepare(name, trainPath, validationPath, testPath, validationFraction, testFraction, options.Seed,
                    options.Device, Array.Empty<ICandidate<SentencePairs>>(), new SentencePairLoadOptions { Encoding = encoding });
                var trainers = TrainerDefinition<SentencePairs>.Select(SimilarityTrainers.All, options.Trainers, task);
                return AutoMLSearch.Holdout(Identity(name, task, prepared.DatasetInfo, prepared.Train, prepared.Validation, prepared.Test, testPath, options.Seed),
                    task, prepared.Train, prepared.Validation, prepared.Test, trainers, (d, rows) => d.Subset(rows), options, (a, b) => a.Concat(b),
                    options.Trainers.Count == 0 ? SimilarityTrainers.Portfolio : null).RunAsync;
            }
            default:
                throw new WorkbenchInputException($"Task {task.ToName()} is tabular: use the tabular AutoML study.");
        }
    }

    private static ExperimentResult Identity(string name, TaskKind task, DatasetInfo dataset, ILabelledData train, ILabelledData validation, ILabelledData test,
        string? testPath, int seed) => new()
    {
        Name = name,
        Task = task.ToName(),
        Dataset = dataset,
        Split = new SplitInfo
        {
            Kind = (task == TaskKind.SentenceSimilarity ? "holdout" : "stratified-holdout") + (testPath is null ? "" : "+test-set"),
            Seed = seed, TrainRows = train.Rows, ValidationRows = validation.Rows, TestRows = test.Rows,
        },
    };
}
