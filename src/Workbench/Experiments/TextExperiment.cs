using System.Collections.Concurrent;
using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;
using MLWorkbench.TextClassification;

namespace MLWorkbench.Experiments;

/// <summary>Entry point for text classification experiments: load, check, split, then compare candidates.</summary>
internal static class TextExperiment
{
    /// <summary>
    /// Loads and checks the texts and candidates and makes a stratified seeded split. With <paramref name="testPath"/>,
    /// the test texts come from there (<paramref name="testFraction"/> is ignored) and the training file is split into
    /// training and validation texts only. A class with a single example is an error (it cannot be split).
    /// </summary>
    /// <exception cref="WorkbenchInputException">The data, the fractions or a candidate name is wrong.</exception>
    public static PreparedTextExperiment Prepare(string name, string trainPath, string? testPath, string textColumn, string labelColumn,
        double validationFraction, double testFraction, int seed, ComputeDevice device, IReadOnlyList<string> candidateNames) =>
        Prepare(name, trainPath, testPath, textColumn, labelColumn, validationFraction, testFraction, seed, device,
            (candidateNames.Count == 0 ? TextCandidates.Names : candidateNames).Select(TextCandidates.Create).ToArray(), null);

    /// <summary>As the other overloads, with configured candidates, load options and the training precision of TorchSharp candidates.</summary>
    /// <exception cref="WorkbenchInputException">The data or the fractions are wrong.</exception>
    public static PreparedTextExperiment Prepare(string name, string trainPath, string? testPath, string textColumn, string labelColumn,
        double validationFraction, double testFraction, int seed, ComputeDevice device, IReadOnlyList<ICandidate<TextExamples>> candidates,
        TextLoadOptions? loadOptions, TrainingPrecision precision)
    {
        var data = TextDataset.Load(trainPath, textColumn, labelColumn, loadOptions);
        var testData = testPath is null ? null : TextDataset.Load(testPath, textColumn, labelColumn, loadOptions, data.Examples.ClassNames);
        var (train, validation, test) = StratifiedSplit(data, validationFraction, testData is null ? testFraction : 0, seed);
        // Where each test text is in its file, so the report can point at the rows it lists.
        var testSources = testData is null
            ? test.Select(row => $"line {data.Lines[row]}").ToArray()
            : testData.Lines.Select(line => $"{Path.GetFileName(testData.Path)} line {line}").ToArray();
        return new PreparedTextExperiment(name, data, testData, data.Examples.Subset(train), data.Examples.Subset(validation),
            testData?.Examples ?? data.Examples.Subset(test), testSources, candidates, seed, device, precision);
    }

    /// <summary>As the other overload, with configured candidates and load options.</summary>
    /// <exception cref="WorkbenchInputException">The data or the fractions are wrong.</exception>
    public static PreparedTextExperiment Prepare(string name, string trainPath, string? testPath, string textColumn, string labelColumn,
        double validationFraction, double testFraction, int seed, ComputeDevice device, IReadOnlyList<ICandidate<TextExamples>> candidates,
        TextLoadOptions? loadOptions) =>
        Prepare(name, trainPath, testPath, textColumn, labelColumn, validationFraction, testFraction, seed, device, candidates, loadOptions, TrainingPrecision.Auto);

    /// <summary>Splits every class by the fractions (seeded), so each part keeps the class proportions.</summary>
    internal static (int[] Train, int[] Validation, int[] Test) StratifiedSplit(TextDataset data, double validationFraction, double testFraction, int seed) =>
        Data.StratifiedHoldout.Split(data.Examples.Labels, data.Examples.ClassNames, validationFraction, testFraction, seed, "texts",
            $"Text data file '{data.Path}'",
            (k, row) => $"Text data file '{data.Path}', line {data.Lines[row]}, column '{data.LabelColumn}': label '{data.Examples.ClassNames[k]}' occurs only once, so a stratified split cannot put it in training and evaluation texts; add examples or remove the row.");
}

/// <summary>A text experiment whose data is loaded, checked and split: nothing left can fail because of bad input.</summary>
internal sealed class PreparedTextExperiment
{
    private readonly TextDataset _data;
    private readonly TextDataset? _testData;
    private readonly int _seed;
    private readonly ComputeDevice _device;
    private readonly TrainingPrecision _precision;
    private readonly IReadOnlyList<string> _testSources;

    internal PreparedTextExperiment(string name, TextDataset data, TextDataset? testData, TextExamples train, TextExamples validation,
        TextExamples test, IReadOnlyList<string> testSources, IReadOnlyList<ICandidate<TextExamples>> candidates, int seed, ComputeDevice device,
        TrainingPrecision precision)
    {
        (Name, _data, _testData, Train, Validation, Test, _testSources, Candidates, _seed, _device, _precision) =
            (name, data, testData, train, validation, test, testSources, candidates, seed, device, precision);
    }

    /// <summary>The experiment's name.</summary>
    public string Name { get; }

    /// <summary>The candidates to compare, in order.</summary>
    public IReadOnlyList<ICandidate<TextExamples>> Candidates { get; }

    /// <summary>Number of candidates (skipped ones included).</summary>
    public int CandidateCount => Candidates.Count;

    /// <summary>Training texts.</summary>
    public TextExamples Train { get; }

    /// <summary>Validation texts (early stopping, selection).</summary>
    public TextExamples Validation { get; }

    /// <summary>Test texts (the reported figures).</summary>
    public TextExamples Test { get; }

    /// <summary>
    /// The data set's identity as the results file records it. <see cref="DatasetInfo.Dropped"/> carries the notes on
    /// texts kept but changed: <c>empty texts</c> (kept as empty strings) and <c>truncated texts</c> (cut to the
    /// character limit), with a <c>test:</c> prefix for a separate test file.
    /// </summary>
    public DatasetInfo DatasetInfo
    {
        get
        {
            var notes = new Dictionary<string, string>();
            void Note(TextDataset d, string prefix)
            {
                if (d.EmptyTexts > 0) notes[$"{prefix}empty texts"] = $"{d.EmptyTexts} empty or whitespace-only texts were kept as empty strings";
                if (d.TruncatedTexts > 0) notes[$"{prefix}truncated texts"] = $"{d.TruncatedTexts} texts longer than {d.MaxCharacters} characters were truncated";
            }
            Note(_data, "");
            if (_testData is not null) Note(_testData, "test:");
            return new DatasetInfo
            {
                Name = Path.GetFileNameWithoutExtension(_data.Path),
                Path = _data.Path,
                Sha256 = _testData is null ? _data.Sha256 : $"{_data.Sha256}+{_testData.Sha256}",
                Rows = _data.Examples.Rows + (_testData?.Examples.Rows ?? 0),
                Columns = _data.Columns,
                Label = _data.LabelColumn,
                Features = [_data.TextColumn],
                Dropped = notes,
            };
        }
    }

    /// <summary>
    /// Trains and scores every candidate on the split; the result carries the dataset, split and every trial. A trial
    /// of a model that truncates to a token limit records <c>truncatedTrainTexts</c> in its hyperparameters. Each trial
    /// records its confidence per test text (one more pass over the test texts per model), and the result the ten
    /// test texts the selected model got wrong most confidently.
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
            Task = TaskKind.TextClassification.ToName(),
            Dataset = DatasetInfo,
            Split = new SplitInfo
            {
                Kind = _testData is null ? "stratified-holdout" : "stratified-holdout+test-set", Seed = _seed,
                TrainRows = Train.Rows, ValidationRows = Validation.Rows, TestRows = Test.Rows,
            },
        };
        var truncations = new ConcurrentDictionary<string, ITruncationReport>();
        var observations = new TaskObservations();
        var reporting = Candidates.Select(c => (ICandidate<TextExamples>)new ReportingCandidate(
            new ObservedCandidate<TextExamples>(c, observations), truncations)).ToArray();
        result = await new ComparisonRunner<TextExamples> { ModelPath = modelPath, Precision = _precision, DefaultCandidate = TextCandidates.Create }.RunAsync(result, TaskKind.TextClassification, Train, Validation, Test, reporting, _seed,
            _device, progress, cancellationToken).ConfigureAwait(false);
        observations.CopyTo(result);
        var mistakes = TaskViews.Mistakes(result, TaskViews.MaxTexts);
        if (mistakes.Length > 0) result.TestItems = [.. mistakes.Select(i => new TestItem { Row = i, Source = _testSources[i], Text = TaskViews.Cut(Test.Texts[i]) })];
        foreach (var trial in result.Trials)
            if (truncations.TryGetValue(trial.Candidate, out var report))
            {
                trial.Hyperparameters["truncatedTrainTexts"] = report.TruncatedTrainTexts;
                trial.Hyperparameters["maxTokens"] = report.MaxTokens;
                // What the model saw, not a setting: none cut is what a reader expects, so any cut stands out.
                if (result.CandidateDefaults?.GetValueOrDefault(trial.Candidate) is { } defaults) defaults.TryAdd("truncatedTrainTexts", 0);
            }
        return result;
    }

    /// <summary>Passes everything through, noting how many training texts the trained model truncated.</summary>
    private sealed class ReportingCandidate(ICandidate<TextExamples> inner, ConcurrentDictionary<string, ITruncationReport> sink)
        : ICandidate<TextExamples>
    {
        public string Name => inner.Name;
        public ModelFamily Family => inner.Family;
        public IReadOnlyDictionary<string, object?> Hyperparameters => inner.Hyperparameters;
        public string? SkipReason => inner.SkipReason;

        public async Task<ITrainedModel<TextExamples>> FitAsync(TextExamples train, TextExamples validation, TrainContext context, CancellationToken cancellationToken)
        {
            var model = await inner.FitAsync(train, validation, context, cancellationToken).ConfigureAwait(false);
            if (model is ITruncationReport report) sink[Name] = report;
            return model;
        }
    }
}
