using MLWorkbench.Experiments;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.AutoML;
using MLWorkbench.Similarity;

namespace MLWorkbench.Experiments;

/// <summary>Entry point for sentence-similarity experiments: load, check, split, then compare candidates.</summary>
internal static class SimilarityExperiment
{
    /// <summary>
    /// Loads and checks the sentence-pair files (CSV/TSV with a header, or STS Benchmark files, detected from the
    /// first line) and the candidates. Validation and test pairs come from their files when given; otherwise a seeded
    /// random share of the training file (<paramref name="validationFraction"/>, <paramref name="testFraction"/>).
    /// The score range is the stated one (options, or 0 to 5 for STS Benchmark files) or else the min/max of the
    /// training file's scores; all three parts use the same range.
    /// </summary>
    /// <exception cref="WorkbenchInputException">A file, a fraction or a candidate name is wrong.</exception>
    public static PreparedSimilarityExperiment Prepare(string name, string trainPath, string? validationPath, string? testPath,
        double validationFraction, double testFraction, int seed, ComputeDevice device, IReadOnlyList<string> candidateNames,
        SentencePairLoadOptions? loadOptions = null, TrainingPrecision precision = TrainingPrecision.Auto)
    {
        ArgumentNullException.ThrowIfNull(candidateNames);
        return Prepare(name, trainPath, validationPath, testPath, validationFraction, testFraction, seed, device,
            (candidateNames.Count == 0 ? SimilarityCandidates.Names : candidateNames).Select(SimilarityCandidates.Create).ToArray(), loadOptions, precision);
    }

    /// <summary>As the other overload, with configured candidates (none: a split for a search, which brings its own).</summary>
    /// <exception cref="WorkbenchInputException">A file or a fraction is wrong.</exception>
    public static PreparedSimilarityExperiment Prepare(string name, string trainPath, string? validationPath, string? testPath,
        double validationFraction, double testFraction, int seed, ComputeDevice device, IReadOnlyList<ICandidate<SentencePairs>> candidates,
        SentencePairLoadOptions? loadOptions = null, TrainingPrecision precision = TrainingPrecision.Auto)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var trainFile = SentencePairFile.Load(trainPath, loadOptions);
        var range = trainFile.Pairs.Range;
        if (range.Width <= 0)
            throw new WorkbenchInputException($"Sentence-pair file '{trainPath}': every score is {range.Min}; similarity needs scores that differ.");
        // Other files are checked against the training file's range only when it was stated.
        var options = (loadOptions ?? new SentencePairLoadOptions()) with { Range = trainFile.RangeStated ? range : null };
        var validationFile = validationPath is null ? null : SentencePairFile.Load(validationPath, options);
        var testFile = testPath is null ? null : SentencePairFile.Load(testPath, options);

        var split = Split(trainFile.Pairs.Rows, validationFile is null ? validationFraction : 0, testFile is null ? testFraction : 0, seed, trainPath);
        var all = trainFile.Pairs;
        var train = all.Subset(split.Train);
        var validation = validationFile?.Pairs.WithRange(range) ?? all.Subset(split.Validation);
        var test = testFile?.Pairs.WithRange(range) ?? all.Subset(split.Test);
        if (validation.Rows < 2 || test.Rows < 2)
            throw new WorkbenchInputException($"Sentence-pair file '{trainPath}': {validation.Rows} validation and {test.Rows} test pairs; each part needs at least 2.");
        return new PreparedSimilarityExperiment(name, trainFile, validationFile, testFile, train, validation, test, candidates, seed, device, precision);
    }

    /// <summary>A seeded random split of <paramref name="rows"/> rows; a zero fraction gives an empty part.</summary>
    internal static (int[] Train, int[] Validation, int[] Test) Split(int rows, double validationFraction, double testFraction, int seed, string path)
    {
        if (validationFraction < 0 || testFraction < 0 || validationFraction + testFraction >= 1 || double.IsNaN(validationFraction + testFraction))
            throw new WorkbenchInputException(
                $"Split fractions validation={validationFraction} and test={testFraction} must not be negative and must sum to less than 1.");
        var order = Enumerable.Range(0, rows).ToArray();
        new Random(seed).Shuffle(order);
        var t = (int)Math.Round(rows * testFraction);
        var v = (int)Math.Round(rows * validationFraction);
        if (rows - t - v < 2)
            throw new WorkbenchInputException($"Sentence-pair file '{path}' has {rows} pairs, too few to split into training, validation and test pairs.");
        return (order[(t + v)..], order[t..(t + v)], order[..t]);
    }
}

/// <summary>One test pair a model got badly wrong, for the report.</summary>
/// <param name="Line">The line of the pair in its file (0 when unknown).</param>
/// <param name="Sentence1">The first sentence.</param>
/// <param name="Sentence2">The second sentence.</param>
/// <param name="Gold">The gold score.</param>
/// <param name="Predicted">The model's score.</param>
internal sealed record SimilarityError(int Line, string Sentence1, string Sentence2, double Gold, double Predicted)
{
    /// <summary>The pair's index among the test pairs (-1 when unknown).</summary>
    public int Row { get; init; } = -1;

    /// <summary>|Predicted − Gold|, in score units.</summary>
    public double AbsoluteError => Math.Abs(Predicted - Gold);
}

/// <summary>A sentence-similarity experiment whose data is loaded, checked and split: nothing left can fail because of bad input.</summary>
internal sealed class PreparedSimilarityExperiment
{
    private readonly SentencePairFile _trainFile;
    private readonly SentencePairFile? _validationFile;
    private readonly SentencePairFile? _testFile;
    private readonly int _seed;
    private readonly ComputeDevice _device;
    private readonly TrainingPrecision _precision;

    internal PreparedSimilarityExperiment(string name, SentencePairFile trainFile, SentencePairFile? validationFile, SentencePairFile? testFile,
        SentencePairs train, SentencePairs validation, SentencePairs test, IReadOnlyList<ICandidate<SentencePairs>> candidates, int seed, ComputeDevice device,
        TrainingPrecision precision)
    {
        (Name, _trainFile, _validationFile, _testFile, Train, Validation, Test, Candidates, _seed, _device, _precision) =
            (name, trainFile, validationFile, testFile, train, validation, test, candidates, seed, device, precision);
    }

    /// <summary>The experiment's name.</summary>
    public string Name { get; }

    /// <summary>The candidates to compare, in order.</summary>
    public IReadOnlyList<ICandidate<SentencePairs>> Candidates { get; }

    /// <summary>Number of candidates.</summary>
    public int CandidateCount => Candidates.Count;

    /// <summary>Training pairs.</summary>
    public SentencePairs Train { get; }

    /// <summary>Validation pairs (early stopping, selection).</summary>
    public SentencePairs Validation { get; }

    /// <summary>Test pairs (the reported figures).</summary>
    public SentencePairs Test { get; }

    /// <summary>The score range every part uses.</summary>
    public ScoreRange Range => Train.Range;

    /// <summary>The data set's identity as the results file records it.</summary>
    public DatasetInfo DatasetInfo
    {
        get
        {
            var files = new[] { _trainFile, _validationFile, _testFile }.OfType<SentencePairFile>().ToArray();
            return new DatasetInfo
            {
                Name = Path.GetFileNameWithoutExtension(_trainFile.Path),
                Path = string.Join("+", files.Select(f => f.Path)),
                Sha256 = string.Join("+", files.Select(f => f.Sha256)),
                Rows = files.Sum(f => f.Pairs.Rows),
                Columns = 3,
                Label = "score",
                Features = ["sentence1", "sentence2"],
            };
        }
    }

    /// <summary>
    /// Trains and scores every candidate on the split; the result carries the dataset, split and every trial, and the
    /// ten test pairs the selected model scored worst (largest |predicted − gold|).
    /// </summary>
    public Task<ExperimentResult> RunAsync(IProgress<TrialProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(progress, null, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(IProgress{TrialProgress}?, CancellationToken)"/>, and saves the selected model to
    /// <paramref name="modelPath"/> as a <c>.mlwb</c> bundle (when not null) that <see cref="Serving.WorkbenchModel.Load"/> reads.
    /// </summary>
    public async Task<ExperimentResult> RunAsync(IProgress<TrialProgress>? progress, string? modelPath, CancellationToken cancellationToken = default)
    {
        var kind = (_validationFile, _testFile) switch
        {
            (null, null) => "holdout",
            (null, _) => "holdout+test-set",
            (_, null) => "validation-set+holdout",
            _ => "given-sets",
        };
        var result = new ExperimentResult
        {
            Name = Name,
            Task = TaskKind.SentenceSimilarity.ToName(),
            Dataset = DatasetInfo,
            Split = new SplitInfo { Kind = kind, Seed = _seed, TrainRows = Train.Rows, ValidationRows = Validation.Rows, TestRows = Test.Rows },
        };
        result = await new ComparisonRunner<SentencePairs> { ModelPath = modelPath, Precision = _precision, DefaultCandidate = SimilarityCandidates.Create }.RunAsync(result, TaskKind.SentenceSimilarity, Train, Validation, Test, Candidates, _seed, _device,
            progress, cancellationToken).ConfigureAwait(false);
        if (TaskViews.Selected(result) is { } selected)
        {
            result.TestItems = [.. LargestErrors(selected, TaskViews.MaxTexts).Select(e => new TestItem
            {
                Row = e.Row, Source = e.Line > 0 ? $"line {e.Line}" : null,
                Text = TaskViews.Cut(e.Sentence1), SecondText = TaskViews.Cut(e.Sentence2),
            })];
        }
        return result;
    }

    /// <summary>The same data and split with other candidates (e.g. fine-tuning with settings of one's own).</summary>
    public PreparedSimilarityExperiment WithCandidates(IReadOnlyList<ICandidate<SentencePairs>> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return new PreparedSimilarityExperiment(Name, _trainFile, _validationFile, _testFile, Train, Validation, Test, candidates, _seed, _device, _precision);
    }

    /// <summary>
    /// The <paramref name="count"/> test pairs with the largest absolute errors of a trial (from its recorded test
    /// predictions); empty when the trial has none. For <c>minilm-zeroshot</c> the scale is the linear map of the cosine.
    /// </summary>
    public IReadOnlyList<SimilarityError> LargestErrors(TrialResult trial, int count = 10)
    {
        ArgumentNullException.ThrowIfNull(trial);
        if (trial.TestPredictions is not { } predicted || predicted.Count != Test.Rows) return [];
        return Enumerable.Range(0, Test.Rows)
            .Select(i => new SimilarityError(Test.Lines[i], Test.First[i], Test.Second[i], Test.Labels[i], predicted[i]) { Row = i })
            .OrderByDescending(e => e.AbsoluteError)
            .Take(count)
            .ToArray();
    }
}
