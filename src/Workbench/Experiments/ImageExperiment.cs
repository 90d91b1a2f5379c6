using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;
using MLWorkbench.Images;

namespace MLWorkbench.Experiments;

/// <summary>Entry point for image classification experiments: load, check, split, then compare candidates.</summary>
internal static class ImageExperiment
{
    /// <summary>
    /// Loads and checks the images and candidates and makes a stratified seeded split. With <paramref name="testPath"/>,
    /// the test images come from there (<paramref name="testFraction"/> is ignored) and the training data is split into
    /// training and validation images only.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The data, the fractions or a candidate name is wrong.</exception>
    public static PreparedImageExperiment Prepare(string name, string trainPath, string? testPath, double validationFraction, double testFraction,
        int seed, ComputeDevice device, IReadOnlyList<string> candidateNames, ImageLoadOptions? loadOptions = null, TrainingPrecision precision = TrainingPrecision.Auto) =>
        Prepare(name, trainPath, testPath, validationFraction, testFraction, seed, device,
            (candidateNames.Count == 0 ? ImageCandidates.Names : candidateNames).Select(ImageCandidates.Create).ToArray(), loadOptions, precision);

    /// <summary>As the other overload, with configured candidates (none: a split for a search, which brings its own).</summary>
    /// <exception cref="WorkbenchInputException">The data or the fractions are wrong.</exception>
    public static PreparedImageExperiment Prepare(string name, string trainPath, string? testPath, double validationFraction, double testFraction,
        int seed, ComputeDevice device, IReadOnlyList<ICandidate<ImageExamples>> candidates, ImageLoadOptions? loadOptions = null,
        TrainingPrecision precision = TrainingPrecision.Auto)
    {
        var data = ImageDataset.Load(trainPath, loadOptions);
        ImageDataset? testData = null;
        if (testPath is not null)
        {
            testData = ImageDataset.Load(testPath, loadOptions);
            ImageDataset.CheckSameClasses(data, testData);
        }
        var (train, validation, test) = StratifiedSplit(data.Examples, validationFraction, testData is null ? testFraction : 0, seed);
        return new PreparedImageExperiment(name, data, testData, data.Examples.Subset(train), data.Examples.Subset(validation),
            testData?.Examples ?? data.Examples.Subset(test), candidates, seed, device, precision);
    }

    /// <summary>Splits every class by the fractions (seeded), so each part keeps the class proportions.</summary>
    internal static (int[] Train, int[] Validation, int[] Test) StratifiedSplit(ImageExamples examples, double validationFraction, double testFraction, int seed) =>
        Data.StratifiedHoldout.Split(examples.Labels, examples.ClassNames, validationFraction, testFraction, seed, "images");
}

/// <summary>An image experiment whose data is loaded, checked and split: nothing left can fail because of bad input.</summary>
internal sealed class PreparedImageExperiment
{
    private readonly ImageDataset _data;
    private readonly ImageDataset? _testData;
    private readonly int _seed;
    private readonly ComputeDevice _device;
    private readonly TrainingPrecision _precision;

    internal PreparedImageExperiment(string name, ImageDataset data, ImageDataset? testData, ImageExamples train, ImageExamples validation,
        ImageExamples test, IReadOnlyList<ICandidate<ImageExamples>> candidates, int seed, ComputeDevice device, TrainingPrecision precision)
    {
        (Name, _data, _testData, Train, Validation, Test, Candidates, _seed, _device, _precision) =
            (name, data, testData, train, validation, test, candidates, seed, device, precision);
    }

    /// <summary>The experiment's name.</summary>
    public string Name { get; }

    /// <summary>The candidates to compare, in order.</summary>
    public IReadOnlyList<ICandidate<ImageExamples>> Candidates { get; }

    /// <summary>Training images.</summary>
    public ImageExamples Train { get; }

    /// <summary>Validation images (early stopping, selection).</summary>
    public ImageExamples Validation { get; }

    /// <summary>Test images (the reported figures).</summary>
    public ImageExamples Test { get; }

    /// <summary>The data set's identity as the results file records it; a separate test set's skipped files are listed as <c>test:path</c>.</summary>
    public DatasetInfo DatasetInfo
    {
        get
        {
            var dropped = new Dictionary<string, string>(_data.Dropped);
            if (_testData is not null) foreach (var (path, reason) in _testData.Dropped) dropped[$"test:{path}"] = reason;
            return new DatasetInfo
            {
                Name = Path.GetFileNameWithoutExtension(_data.Path.TrimEnd('/', '\\')),
                Path = _data.Path,
                Sha256 = _testData is null ? _data.Sha256 : $"{_data.Sha256}+{_testData.Sha256}",
                Rows = _data.Examples.Rows + (_testData?.Examples.Rows ?? 0),
                Columns = 1,
                Label = "class",
                Features = ["image"],
                Dropped = dropped,
            };
        }
    }

    /// <summary>The same data and split with other candidates (e.g. a CNN with settings of one's own).</summary>
    public PreparedImageExperiment WithCandidates(IReadOnlyList<ICandidate<ImageExamples>> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return new PreparedImageExperiment(Name, _data, _testData, Train, Validation, Test, candidates, _seed, _device, _precision);
    }

    /// <summary>
    /// Trains and scores every candidate on the split; the result carries the dataset, split and every trial, a CNN's
    /// first-layer filters, and thumbnails of the test images the selected model got wrong (at most 24).
    /// </summary>
    public Task<ExperimentResult> RunAsync(IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(progress, null, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(IProgress{TrialProgress}?, CancellationToken)"/>, and saves the selected model to
    /// <paramref name="modelPath"/> as a <c>.mlwb</c> bundle (when not null) that <see cref="Serving.WorkbenchModel.Load"/> reads.
    /// </summary>
    public async Task<ExperimentResult> RunAsync(IProgress<TrialProgress>? progress, string? modelPath, CancellationToken cancellationToken = default)
    {
        var result = new ExperimentResult
        {
            Name = Name,
            Task = TaskKind.ImageClassification.ToName(),
            Dataset = DatasetInfo,
            Split = new SplitInfo
            {
                Kind = _testData is null ? "stratified-holdout" : "stratified-holdout+test-set", Seed = _seed,
                TrainRows = Train.Rows, ValidationRows = Validation.Rows, TestRows = Test.Rows,
            },
        };
        var observations = new TaskObservations();
        var observed = Candidates.Select(c => (ICandidate<ImageExamples>)new ObservedCandidate<ImageExamples>(c, observations)).ToArray();
        result = await new ComparisonRunner<ImageExamples> { ModelPath = modelPath, Precision = _precision, DefaultCandidate = ImageCandidates.Create }.RunAsync(result, TaskKind.ImageClassification, Train, Validation, Test, observed, _seed, _device,
            progress, cancellationToken).ConfigureAwait(false);
        observations.CopyTo(result);
        var mistakes = TaskViews.Mistakes(result, TaskViews.MaxImages);
        if (mistakes.Length > 0) result.TestItems = TaskViews.Thumbnails(Test, mistakes);
        return result;
    }
}
