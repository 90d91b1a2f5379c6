using System.CommandLine;
using MLWorkbench.AutoML;
using MLWorkbench.Experiments;
using MLWorkbench.Data;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.Tasks;
using MLWorkbench.Models;
using MLWorkbench.Search;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb automl --task T --train FILE --label COLUMN ...</c>: an AutoML search on one data file. Writes
/// results.json, the HTML report, the study (study.db) and the final model (model.mlwb) into the output folder; running the same command
/// again resumes the study. With <c>--test</c>, the test file is scored once, by the final model only.
/// </summary>
internal static class AutomlCommand
{
    public static Command Create(TextWriter output, TextWriter error, string commandLine)
    {
        var task = new Option<string>("--task")
        {
            Description = "regression, binary, multiclass, image-classification, text-classification or sentence-similarity.", Required = true,
        };
        var train = new Option<FileInfo>("--train")
        {
            Description = "Training data: CSV or TSV with a header row; for image-classification a folder with one sub-folder per class (or a CSV of path,label).",
            Required = true,
        };
        var test = new Option<FileInfo?>("--test")
        {
            Description = "Test data like the training data, scored once by the final model. Image, text and similarity searches without it keep a seeded fifth of the training data for the test.",
        };
        var validation = new Option<FileInfo?>("--validation")
        {
            Description = "sentence-similarity only: the pairs that rank trials (e.g. STS-B dev); default a seeded fifth of the training pairs.",
        };
        var label = new Option<string?>("--label") { Description = "The column to predict (required for tabular tasks and text-classification)." };
        var text = new Option<string>("--text") { Description = "text-classification only: the text column.", DefaultValueFactory = _ => "text" };
        var budget = new Option<double?>("--budget") { Description = "Seconds the search may take (default 60 unless --trials is given)." };
        var trials = new Option<int?>("--trials") { Description = "At most this many trials." };
        var seed = new Option<int>("--seed") { Description = "Seed of folds, sampler and trials.", DefaultValueFactory = _ => 42 };
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "Output folder (default reports/automl-<train file name>)." };
        var tuner = new Option<string>("--tuner") { Description = $"Sampler: {string.Join(", ", Samplers.Names)}.", DefaultValueFactory = _ => AutoMLOptions.DefaultTuner };
        var folds = new Option<int?>("--folds") { Description = "Cross-validation folds (1 = one holdout; default: 5, or one holdout above 15,000 training rows)." };
        var rowRungMinRows = new Option<int?>("--row-rung-min-rows")
        {
            Description = "Tabular holdout searches: the fewest rows a successive-halving row rung may fit on (default 1,000; a rung below it is left out).",
        };
        var parallel = new Option<int>("--parallel") { Description = "Trials run at once.", DefaultValueFactory = _ => 1 };
        var pruner = new Option<string>("--pruner") { Description = "median or none.", DefaultValueFactory = _ => "median" };
        var trainers = new Option<string?>("--trainers") { Description = "Comma-separated trainer names to search (default: all for the task)." };
        var columns = new Option<string[]>("--column") { Description = "Override a column's role: NAME=numeric|boolean|categorical|datetime|text|ignore (repeatable).", AllowMultipleArgumentsPerToken = false };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda for TorchSharp trainers.", DefaultValueFactory = _ => "auto" };
        var precision = new Option<string>("--precision")
        {
            Description = "auto, fp32, bf16 or fp16 for TorchSharp trainers (auto: bf16/fp16 mixed precision on CUDA, fp32 on the CPU).", DefaultValueFactory = _ => "auto",
        };
        var storage = new Option<string?>("--storage")
        {
            Description = "Where the study lives: a SQLite file (default <out>/study.db), or a PostgreSQL connection string or postgresql:// URI that 'mlwb worker' processes can join.",
        };
        var study = new Option<string>("--study") { Description = "The study's name in its store.", DefaultValueFactory = _ => "automl" };
        var createOnly = new Option<bool>("--create-only")
        {
            Description = "With --storage CONN: record the study (settings, data, starting points) and exit; 'mlwb worker' processes run and finalize it.",
        };
        var noStoreData = new Option<bool>("--no-store-data")
        {
            Description = "With --storage CONN: keep the data files out of the database (workers read them at these paths, e.g. on a shared file system).",
        };
        // Set by 'mlwb worker': run the stored study's trials only, without refit, results or report.
        var join = new Option<bool>("--join") { Hidden = true };
        var index = RunOutput.IndexOption();
        var noRefit = new Option<bool>("--no-refit")
        {
            Description = "Images, texts, pairs: keep the winner as trained in the search instead of training it again on the training and validation examples.",
        };
        var encoding = EncodingOption.Create();
        var command = new Command("automl", "Search trainers and hyperparameters with cross-validation; refit the best; report.")
        {
            task, train, test, validation, label, text, budget, trials, seed, outDir, tuner, folds, rowRungMinRows, parallel, pruner, trainers, columns, device, precision, encoding, index,
            noRefit, storage, study, createOnly, noStoreData, join,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var taskKind = TaskNames.Parse(parse.GetValue(task)!) ?? throw new WorkbenchInputException(
                $"Unknown task '{parse.GetValue(task)}'; use one of: {string.Join(", ", [.. TaskNames.All, "image-classification", "text-classification", "sentence-similarity"])}.");
            var labelName = parse.GetValue(label);
            if (labelName is null && (taskKind.IsTabular() || taskKind == TaskKind.TextClassification))
                throw new WorkbenchInputException($"Task {taskKind.ToName()} needs --label COLUMN: the column to predict.");
            var deviceKind = TaskNames.ParseDevice(parse.GetValue(device)!) ?? throw new WorkbenchInputException(
                $"Unknown device '{parse.GetValue(device)}'; use auto, cpu or cuda.");
            var precisionKind = TaskNames.ParsePrecision(parse.GetValue(precision)!) ?? throw new WorkbenchInputException(
                $"Unknown precision '{parse.GetValue(precision)}'; use {string.Join(", ", TaskNames.Precisions)}.");
            var fileEncoding = EncodingOption.Parse(parse.GetValue(encoding));
            var trainFile = parse.GetValue(train)!;
            var output_ = parse.GetValue(outDir)?.FullName ?? Path.GetFullPath(Path.Combine("reports", "automl-" + Path.GetFileNameWithoutExtension(trainFile.Name)));
            var storageText = parse.GetValue(storage);
            var shared = storageText is not null && AutoML.PostgresStudyStore.IsConnectionString(storageText);
            var console = Consoles.For(output);
            var startedUtc = DateTimeOffset.UtcNow;
            // Set when this process finalized a shared study (see Publish): the exit code of writing its results and report.
            int? published = null;
            var options = new AutoMLOptions
            {
                Task = taskKind, Label = labelName ?? "", BudgetSeconds = parse.GetValue(budget) ?? (parse.GetValue(trials) is null ? 60 : null),
                MaxTrials = parse.GetValue(trials), Seed = parse.GetValue(seed), Tuner = parse.GetValue(tuner)!, Folds = parse.GetValue(folds),
                RowRungMinRows = parse.GetValue(rowRungMinRows) ?? AutoMLOptions.DefaultRowRungMinRows,
                Parallel = parse.GetValue(parallel), Pruner = parse.GetValue(pruner)!, Device = deviceKind, Precision = precisionKind,
                Trainers = parse.GetValue(trainers)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
                ColumnRoles = ParseRoles(parse.GetValue(columns) ?? []), StudyName = parse.GetValue(study)!,
                StudyPath = storageText is null ? Path.Combine(output_, "study.db") : shared ? null : Path.GetFullPath(storageText),
                Storage = shared ? storageText : null, JoinOnly = parse.GetValue(join), CreateOnly = parse.GetValue(createOnly),
                // A worker on another machine then needs only the connection string: it materializes these from the database.
                StudyFiles = !shared || parse.GetValue(join) || parse.GetValue(noStoreData) ? null : new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["--train"] = trainFile.FullName,
                    ["--test"] = parse.GetValue(test)?.FullName!,
                    ["--validation"] = parse.GetValue(validation)?.FullName!,
                }.Where(p => p.Value is not null).ToDictionary(StringComparer.Ordinal), ModelPath = Path.Combine(output_, "model.mlwb"), Refit = !parse.GetValue(noRefit),
                // What a worker needs to rebuild this search: the settings that shape trials, with absolute paths.
                StudySpec = shared ? WorkerCommand.Spec(
                [
                    "--task", parse.GetValue(task)!, "--train", trainFile.FullName, .. Pair("--test", parse.GetValue(test)?.FullName),
                    .. Pair("--validation", parse.GetValue(validation)?.FullName), .. Pair("--label", labelName), "--text", parse.GetValue(text)!,
                    .. Pair("--budget", parse.GetValue(budget)), .. Pair("--trials", parse.GetValue(trials)), "--seed", Invariant(parse.GetValue(seed)),
                    "--tuner", parse.GetValue(tuner)!, .. Pair("--folds", parse.GetValue(folds)), .. Pair("--row-rung-min-rows", parse.GetValue(rowRungMinRows)),
                    "--pruner", parse.GetValue(pruner)!,
                    .. Pair("--trainers", parse.GetValue(trainers)), .. (parse.GetValue(columns) ?? []).SelectMany(c => new[] { "--column", c }),
                    "--device", parse.GetValue(device)!, "--precision", parse.GetValue(precision)!, .. Pair("--encoding", parse.GetValue(encoding)),
                    // Whichever process finalizes the study writes the results here (a folder every worker can write).
                    "--out", output_,
                ]) : null,
                // Creator or worker, exactly one process finalizes a shared study: it writes results.json, the report and
                // model.mlwb into the study's output folder, and the results' JSON goes into the study row.
                Publish = !shared ? null : async (result, _) =>
                {
                    var results = new RunResults
                    {
                        Suite = Path.GetFileName(output_), StartedUtc = startedUtc,
                        Environment = Workbench.DescribeEnvironment(parse.GetValue(seed), deviceKind, precisionKind, commandLine),
                    };
                    results.Experiments.Add(result);
                    Directory.CreateDirectory(output_);
                    published = await RunOutput.FinishAsync(results, output_, RunOutput.IndexFolder(output_, parse.GetValue(index)), console, output, error,
                        CancellationToken.None);
                    return await File.ReadAllTextAsync(Path.Combine(output_, "results.json"), CancellationToken.None);
                },
            };
            if (options.CreateOnly && (!shared || options.JoinOnly))
                throw new WorkbenchInputException("--create-only records a study in a PostgreSQL store for workers: give --storage a connection string or postgresql:// URI.");
            if (options.JoinOnly && !shared)
                throw new WorkbenchInputException("A worker joins a study in a PostgreSQL store: give --storage a connection string or postgresql:// URI.");
            if (options.Folds is < 1 or > 20) throw new WorkbenchInputException($"--folds must be between 1 and 20, not {options.Folds}.");
            if (parse.GetValue(rowRungMinRows) is { } minRows)
            {
                if (!taskKind.IsTabular())
                    throw new WorkbenchInputException($"--row-rung-min-rows is for tabular searches; a {taskKind.ToName()} search runs its rungs over epochs.");
                if (minRows < 1) throw new WorkbenchInputException($"--row-rung-min-rows must be at least 1, not {minRows}.");
            }

            // Check everything before the search starts or anything is written.
            var name = Path.GetFileNameWithoutExtension(trainFile.FullName.TrimEnd('/', '\\'));
            var prepared = new Workbench().PrepareSearch(new ExperimentSpec
            {
                Name = name, Task = taskKind, DataPath = trainFile.FullName, Label = labelName ?? "", TestPath = parse.GetValue(test)?.FullName,
                ValidationPath = parse.GetValue(validation)?.FullName, TextColumn = parse.GetValue(text)!, Encoding = fileEncoding,
                Seed = options.Seed, Device = deviceKind, Precision = precisionKind, AutoML = options,
            });
            var search = prepared.RunAsync;

            if (shared)
            {
                // No live progress here: the process that finalizes writes the leaderboard and the report inside the search.
                if (!options.JoinOnly)
                    await output.WriteLineAsync($"Study '{options.StudyName}': 'mlwb worker --storage CONN --study {options.StudyName}' joins it; the results go to {output_}.");
                var joined = await search(new Progress<TrialProgress>(), cancellationToken);
                if (options.CreateOnly)
                {
                    await output.WriteLineAsync($"Study '{options.StudyName}' created with its data and {joined.AutoML?.StartingTrials ?? 0} starting points queued; " +
                        $"'mlwb worker --storage CONN --study {options.StudyName}' processes run and finalize it.");
                    return ExitCodes.Success;
                }
                if (published is { } code) return code;
                await output.WriteLineAsync(WorkerCommand.Summary(options.StudyName, joined));
                return cancellationToken.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Success;
            }
            var results = new RunResults
            {
                Suite = Path.GetFileName(output_),
                StartedUtc = DateTimeOffset.UtcNow,
                Environment = Workbench.DescribeEnvironment(options.Seed, deviceKind, precisionKind, commandLine),
            };
            Directory.CreateDirectory(output_);
            RunOutput.CleanStaleTemporaryFiles(output_);
            var result = await ProgressView.RunAsync(console, name, options.MaxTrials ?? 0, reporter => search(reporter, cancellationToken));
            results.Experiments.Add(result);
            return await RunOutput.FinishAsync(results, output_, RunOutput.IndexFolder(output_, parse.GetValue(index)), console, output, error, cancellationToken);
        });
        return command;
    }

    private static string[] Pair<T>(string name, T? value) => value switch
    {
        null => [],
        IFormattable f => [name, f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)],
        _ => [name, value.ToString()!],
    };

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Dictionary<string, ColumnKind> ParseRoles(string[] values)
    {
        var roles = new Dictionary<string, ColumnKind>();
        foreach (var value in values)
        {
            var at = value.LastIndexOf('=');
            ColumnKind? kind = at <= 0 ? null : value[(at + 1)..].ToLowerInvariant() switch
            {
                "numeric" => ColumnKind.Numeric, "boolean" => ColumnKind.Boolean, "categorical" => ColumnKind.Categorical,
                "datetime" => ColumnKind.DateTime, "text" => ColumnKind.Text, "ignore" => ColumnKind.Ignored, _ => null,
            };
            if (kind is null)
                throw new WorkbenchInputException($"--column '{value}' must look like NAME=numeric|boolean|categorical|datetime|text|ignore.");
            roles[value[..at]] = kind.Value;
        }
        return roles;
    }
}
