using MLWorkbench.AutoML;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Experiments;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Results;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using MLWorkbench.Search;
using MLWorkbench.Serving;

namespace MLWorkbench;

/// <summary>
/// The library's entry point, shaped like ML.NET's <c>MLContext</c>: one catalog per task family (<see cref="Tabular"/>,
/// <see cref="Images"/>, <see cref="Texts"/>, <see cref="SentencePairs"/>), each listing its candidates and preparing
/// comparisons and searches, and <see cref="Load"/> for saved models. Holds no state beyond the catalogs; make one
/// per application.
/// </summary>
/// <example>
/// <code>
/// var workbench = new Workbench();
/// var run = workbench.Prepare(spec);                  // checks the data and settings, trains nothing
/// var result = await run.RunAsync(progress, token);   // compares the candidates or searches, saves the winner
/// using var model = workbench.Load("model.mlwb");
/// </code>
/// </example>
public sealed class Workbench
{
    /// <summary>Makes the catalogs.</summary>
    public Workbench()
    {
        TabularCatalog = new TaskCatalog<FeatureMatrix>(TaskNames.All.Select(n => TaskNames.Parse(n)!.Value).ToHashSet(), TrainerCatalog.All, PrepareTabular);
        ImageCatalog = new TaskCatalog<ImageExamples>(new HashSet<TaskKind> { TaskKind.ImageClassification }, ImageTrainers.All, PrepareImages);
        TextCatalog = new TaskCatalog<TextExamples>(new HashSet<TaskKind> { TaskKind.TextClassification }, TextTrainers.All, PrepareTexts);
        PairCatalog = new TaskCatalog<SentencePairs>(new HashSet<TaskKind> { TaskKind.SentenceSimilarity }, SimilarityTrainers.All, PreparePairs);
    }

    /// <summary>Regression, binary and multiclass classification over the columns of a CSV file.</summary>
    public ITaskCatalog Tabular => TabularCatalog;

    /// <summary>Image classification (a folder of class sub-folders, or a CSV of path,label).</summary>
    public ITaskCatalog Images => ImageCatalog;

    /// <summary>Text classification (a CSV or TSV with a text and a label column).</summary>
    public ITaskCatalog Texts => TextCatalog;

    /// <summary>Sentence similarity (STS Benchmark files or CSV pairs with a score).</summary>
    public ITaskCatalog SentencePairs => PairCatalog;

    internal TaskCatalog<FeatureMatrix> TabularCatalog { get; }

    internal TaskCatalog<ImageExamples> ImageCatalog { get; }

    internal TaskCatalog<TextExamples> TextCatalog { get; }

    internal TaskCatalog<SentencePairs> PairCatalog { get; }

    /// <summary>The catalog that serves <paramref name="task"/>.</summary>
    public ITaskCatalog For(TaskKind task) =>
        new ITaskCatalog[] { Tabular, Images, Texts, SentencePairs }.First(c => c.Tasks.Contains(task));

    /// <summary>
    /// Checks an experiment's data and settings and prepares it: a comparison of its candidates, or an AutoML search
    /// when <see cref="ExperimentSpec.AutoML"/> is set. Trains nothing until <see cref="PreparedRun.RunAsync"/>.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The data or settings are not usable; the message names the file, line or value.</exception>
    public PreparedRun Prepare(ExperimentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return For(spec.Task).Prepare(spec);
    }

    /// <summary>Loads a saved model (<c>.mlwb</c>) of any task for prediction.</summary>
    /// <exception cref="WorkbenchInputException">The file is missing, damaged, or refused by <paramref name="options"/>.</exception>
    public WorkbenchModel Load(string path, BundleLoadOptions? options = null) => WorkbenchModel.Load(path, options);

    /// <summary>
    /// The device and number format TorchSharp models will use for a request, e.g. <c>cuda, bf16 mixed precision</c>,
    /// with a note when the request cannot be honoured (results record it for reproducibility). Loads libtorch; without
    /// the MLWorkbench.Torch package, says that no TorchSharp model can run.
    /// </summary>
    public static string DescribeDevice(ComputeDevice device, TrainingPrecision precision) =>
        ExtensionRegistry.Default.Extensions.Select(e => e.DescribeDevice(device, precision)).FirstOrDefault(d => d is not null)
        ?? $"cpu (no TorchSharp models: {ExtensionRegistry.TorchPackage} is not referenced)";

    /// <summary>
    /// Reads a CSV file with a header row, checked as every data file is (UTF-8 unless <paramref name="encoding"/> names
    /// another; ragged rows and undecodable bytes are refused with the line): the rows to give <see cref="WorkbenchModel.PredictBatch"/>.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The file is missing or malformed; the message names the line.</exception>
    public static (IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows) ReadCsv(string path, System.Text.Encoding? encoding = null)
    {
        var data = TabularData.LoadCsv(path, encoding);
        return (data.ColumnNames, data.Rows);
    }

    /// <summary>
    /// Prepares an AutoML search over whole data files, as <c>mlwb automl</c> does: tabular tasks train on every row of
    /// <see cref="ExperimentSpec.DataPath"/> (the search folds or holds out inside it) and score <see cref="ExperimentSpec.TestPath"/>
    /// once when given; images, texts and pairs hold out validation and test shares (<see cref="ExperimentSpec.ValidationFraction"/>,
    /// <see cref="ExperimentSpec.TestFraction"/>) where no such file is given. <see cref="ExperimentSpec.AutoML"/> is required.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The data or options are not usable; the message names the file, line or value.</exception>
    public PreparedRun PrepareSearch(ExperimentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = spec.AutoML ?? throw new ArgumentException("A search needs AutoML options.", nameof(spec));
        if (!spec.Task.IsTabular())
        {
            var run = HoldoutSearches.Prepare(spec.Name, spec.Task, spec.DataPath, spec.ValidationPath, spec.TestPath, spec.TextColumn ?? "text", options,
                spec.ValidationFraction, spec.TestFraction, spec.Encoding);
            return new PreparedRun(spec.Name, options.MaxTrials ?? 0, (p, ct) => run(p, ct));
        }
        var data = TabularData.LoadCsv(spec.DataPath, spec.Encoding);
        var testData = spec.TestPath is null ? null : TabularData.LoadCsv(spec.TestPath, spec.Encoding);
        var study = AutoMLSearch.Tabular(spec.Name, data, Enumerable.Range(0, data.Rows.Count).ToArray(),
            testData, testData is null ? null : Enumerable.Range(0, testData.Rows.Count).ToArray(), options);
        return new PreparedRun(spec.Name, options.MaxTrials ?? 0, (p, ct) => study.RunAsync(p, ct));
    }

    /// <summary>
    /// What a results file records of this machine and run for reproducibility: OS, CPU, library versions, the seed, the
    /// device and number format TorchSharp models use (<see cref="DescribeDevice"/>), the command and the suite's hash.
    /// </summary>
    public static EnvironmentInfo DescribeEnvironment(int seed, ComputeDevice device, TrainingPrecision precision, string commandLine, string? suiteSha256 = null) =>
        EnvironmentProbe.Capture(seed, DescribeDevice(device, precision), commandLine, suiteSha256, ExtensionRegistry.Default.RuntimeVersions);

    private static PreparedRun PrepareTabular(ExperimentSpec spec, TaskCatalog<FeatureMatrix> catalog)
    {
        // A separate test file is refused for tabular tasks where the spec is read (suites name its line).
        if (spec.AutoML is not { } options)
        {
            var prepared = PreparedExperiment.Prepare(spec);
            return new PreparedRun(spec.Name, prepared.Candidates.Count, (p, ct) => new ExperimentRunner().RunAsync(prepared, p, ct));
        }
        var data = TabularData.LoadCsv(spec.DataPath, spec.Encoding);
        data.ColumnIndex(spec.Label);
        var split = HoldoutSplit.Create(data.Rows.Count, spec.ValidationFraction, spec.TestFraction, spec.Seed);
        var study = AutoMLSearch.Tabular(spec.Name, data, [.. split.Train, .. split.Validation], data, split.Test, options);
        return new PreparedRun(spec.Name, options.MaxTrials ?? 0, (p, ct) => study.RunAsync(p, ct));
    }

    private static PreparedRun PrepareImages(ExperimentSpec spec, TaskCatalog<ImageExamples> catalog)
    {
        if (Search(spec) is { } search) return search;
        var images = ImageExperiment.Prepare(spec.Name, spec.DataPath, spec.TestPath, spec.ValidationFraction, spec.TestFraction, spec.Seed, spec.Device,
            catalog.Candidates(spec), new ImageLoadOptions { Encoding = spec.Encoding }, spec.Precision);
        return new PreparedRun(spec.Name, images.Candidates.Count, (p, ct) => images.RunAsync(p, spec.ModelPath, ct));
    }

    private static PreparedRun PrepareTexts(ExperimentSpec spec, TaskCatalog<TextExamples> catalog)
    {
        if (Search(spec) is { } search) return search;
        // Suites require the text column for this task.
        var texts = TextExperiment.Prepare(spec.Name, spec.DataPath, spec.TestPath, spec.TextColumn ?? "text", spec.Label, spec.ValidationFraction,
            spec.TestFraction, spec.Seed, spec.Device, catalog.Candidates(spec), new TextLoadOptions { Encoding = spec.Encoding }, spec.Precision);
        return new PreparedRun(spec.Name, texts.CandidateCount, (p, ct) => texts.RunAsync(p, spec.ModelPath, ct));
    }

    private static PreparedRun PreparePairs(ExperimentSpec spec, TaskCatalog<SentencePairs> catalog)
    {
        if (Search(spec) is { } search) return search;
        var pairs = SimilarityExperiment.Prepare(spec.Name, spec.DataPath, spec.ValidationPath, spec.TestPath, spec.ValidationFraction, spec.TestFraction,
            spec.Seed, spec.Device, catalog.Candidates(spec), new SentencePairLoadOptions { Encoding = spec.Encoding }, spec.Precision);
        return new PreparedRun(spec.Name, pairs.CandidateCount, (p, ct) => pairs.RunAsync(p, spec.ModelPath, ct));
    }

    // Images, texts and pairs search on one holdout split; the options' label names text data's label column.
    private static PreparedRun? Search(ExperimentSpec spec)
    {
        if (spec.AutoML is not { } options) return null;
        var run = HoldoutSearches.Prepare(spec.Name, spec.Task, spec.DataPath, spec.ValidationPath, spec.TestPath, spec.TextColumn ?? "text", options,
            spec.ValidationFraction, spec.TestFraction, spec.Encoding);
        return new PreparedRun(spec.Name, options.MaxTrials ?? 0, (p, ct) => run(p, ct));
    }
}

/// <summary>What every task catalog offers, whatever its data: its tasks, its candidates and their search spaces, and preparing a run.</summary>
public interface ITaskCatalog
{
    /// <summary>The tasks this catalog serves.</summary>
    IReadOnlySet<TaskKind> Tasks { get; }

    /// <summary>The names of the candidates for <paramref name="task"/>, cheapest first.</summary>
    IReadOnlyList<string> CandidateNames(TaskKind task);

    /// <summary>The search space of candidate <paramref name="name"/> for <paramref name="task"/>, or null when there is no such candidate.</summary>
    SearchSpace? SpaceOf(TaskKind task, string name);

    /// <summary>Each candidate of <paramref name="task"/> at its defaults: name, model library (<c>mlnet</c>, <c>onnx</c>, <c>torch</c>) and the settings results record.</summary>
    IEnumerable<(string Name, string Family, IReadOnlyDictionary<string, object?> Settings)> Describe(TaskKind task);

    /// <summary>Checks an experiment of this family and prepares its comparison or search (see <see cref="Workbench.Prepare"/>).</summary>
    PreparedRun Prepare(ExperimentSpec spec);
}

/// <summary>One task family's catalog: its registered trainers (<see cref="TrainerDefinition{TData}"/>) and how its experiments are prepared.</summary>
/// <typeparam name="TData">The family's labelled data.</typeparam>
internal sealed class TaskCatalog<TData> : ITaskCatalog where TData : ILabelledData
{
    private readonly Func<ExperimentSpec, TaskCatalog<TData>, PreparedRun> _prepare;

    internal TaskCatalog(IReadOnlySet<TaskKind> tasks, IReadOnlyList<TrainerDefinition<TData>> trainers, Func<ExperimentSpec, TaskCatalog<TData>, PreparedRun> prepare)
    {
        Tasks = tasks;
        Trainers = trainers;
        _prepare = prepare;
    }

    /// <inheritdoc/>
    public IReadOnlySet<TaskKind> Tasks { get; }

    /// <summary>Every trainer registered for this family, cheapest first.</summary>
    public IReadOnlyList<TrainerDefinition<TData>> Trainers { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> CandidateNames(TaskKind task) => [.. Trainers.Where(t => t.Tasks.Contains(task)).Select(t => t.Name)];

    /// <inheritdoc/>
    public SearchSpace? SpaceOf(TaskKind task, string name) => Trainers.FirstOrDefault(t => t.Name == name && t.Tasks.Contains(task))?.Space(task);

    /// <inheritdoc/>
    public IEnumerable<(string Name, string Family, IReadOnlyDictionary<string, object?> Settings)> Describe(TaskKind task) =>
        Trainers.Where(t => t.Tasks.Contains(task)).Select(t => t.CreateDefault(task)).Select(c => (c.Name, c.Family.ToName(), c.Hyperparameters));

    /// <summary>
    /// The candidates of an experiment: those it names (or every registered one), each with its settings from the spec
    /// when it has some, else with its defaults.
    /// </summary>
    /// <exception cref="WorkbenchInputException">A named candidate is not registered for the experiment's task.</exception>
    public IReadOnlyList<ICandidate<TData>> Candidates(ExperimentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return (spec.Candidates.Count == 0 ? CandidateNames(spec.Task) : spec.Candidates)
            .Select(n => Trainers.FirstOrDefault(t => t.Name == n && t.Tasks.Contains(spec.Task)) is { } trainer
                ? spec.CandidateSettings.TryGetValue(n, out var values) ? trainer.Create(spec.Task, values) : trainer.CreateDefault(spec.Task)
                : throw new WorkbenchInputException($"Unknown candidate '{n}' for task {spec.Task.ToName()}; known: {string.Join(", ", CandidateNames(spec.Task))}."))
            .ToArray();
    }

    /// <inheritdoc/>
    public PreparedRun Prepare(ExperimentSpec spec) => _prepare(spec, this);
}

/// <summary>An experiment checked and ready to run: a comparison of candidates or an AutoML search.</summary>
/// <param name="Name">The experiment's name.</param>
/// <param name="Trials">How many trials it will run (candidates of a comparison; a search's trial limit, 0 when it has only a time budget).</param>
/// <param name="RunAsync">Runs it: trains, scores, saves the selected model where the spec says, and returns the results.</param>
public sealed record PreparedRun(string Name, int Trials, Func<IProgress<TrialProgress>?, CancellationToken, Task<ExperimentResult>> RunAsync);
