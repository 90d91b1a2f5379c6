using System.CommandLine;
using MLWorkbench.Cli.Suites;
using MLWorkbench.Experiments;
using MLWorkbench.Tasks;
using MLWorkbench.Models.Torch;
using MLWorkbench.Results;
using MLWorkbench.AutoML;
using MLWorkbench.Models;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb run SUITE</c>: checks the whole suite and its data first, runs every experiment (a comparison of
/// candidates, or an AutoML search), writes <c>results.json</c> and then the HTML report into the suite's
/// output folder. AutoML experiments keep their trials in <c>studies.db</c> there, so a rerun resumes.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error, string commandLine)
    {
        var suiteArgument = new Argument<FileInfo>("suite") { Description = "The suite file (YAML) to run; see docs/suites.md." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check the suite and its data, print what would run, train nothing and write nothing." };
        var index = RunOutput.IndexOption();
        var storage = new Option<string?>("--storage")
        {
            Description = "A PostgreSQL connection string or postgresql:// URI: queue every candidate of the suite there as work that 'mlwb worker' processes share (docs/scale-out.md).",
        };
        var study = new Option<string?>("--study") { Description = "With --storage: the study's name (default the suite's name)." };
        var noStoreData = new Option<bool>("--no-store-data") { Description = "With --storage: keep the suite and data files out of the database (workers read them at these paths)." };
        // Set by 'mlwb worker': the study's own output folder and data files from the worker's cache (ROLE=PATH).
        var join = new Option<bool>("--join") { Hidden = true };
        var outDir = new Option<DirectoryInfo?>("--out") { Hidden = true };
        var files = new Option<string[]>("--file") { Hidden = true };
        var command = new Command("run", "Run a suite of experiments and write results.json and the HTML report.") { suiteArgument, dryRun, index, storage, study, noStoreData, join, outDir, files };
        // --dry-run checks and prints the plan whatever the storage: nothing is queued or written.
        command.SetAction((parse, cancellationToken) => parse.GetValue(storage) is { } connection && !parse.GetValue(dryRun)
            ? RunSharedAsync(parse.GetValue(suiteArgument)!.FullName, connection, parse.GetValue(study), !parse.GetValue(noStoreData), parse.GetValue(join),
                parse.GetValue(outDir)?.FullName, parse.GetValue(files) ?? [], parse.GetValue(index), output, error, commandLine, cancellationToken)
            : RunAsync(parse.GetValue(suiteArgument)!.FullName, parse.GetValue(dryRun), parse.GetValue(index), output, error, commandLine, cancellationToken));
        return command;
    }

    /// <summary>
    /// The suite as a shared study (<see cref="SharedSuite"/>): the first process queues its candidates (and runs some);
    /// workers (<paramref name="join"/>) run the rest; whichever ends the study writes results.json, the report and the models.
    /// </summary>
    private static async Task<int> RunSharedAsync(string suitePath, string connection, string? studyName, bool storeData, bool join, string? outDir,
        string[] files, DirectoryInfo? indexFolder, TextWriter output, TextWriter error, string commandLine, CancellationToken cancellationToken)
    {
        if (!PostgresStudyStore.IsConnectionString(connection))
            throw new WorkbenchInputException($"--storage '{connection}' is not a PostgreSQL connection string or postgresql:// URI; a suite runs in one process without it.");
        var suite = SuiteReader.Read(suitePath);
        var name = studyName ?? suite.Name;
        if (join)
        {
            var local = files.Select(f => f.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            suite = SharedSuite.Locate(suite, local, outDir ?? suite.OutputDirectory);
        }
        // Everything that bad input can break is checked before anything is queued or trained.
        var workbench = new Workbench();
        var jobs = suite.Experiments.Sum(spec => Prepare(workbench, spec).Trials);
        if (!join)
        {
            await SharedSuite.QueueAsync(suite, connection, name, storeData, cancellationToken);
            await output.WriteLineAsync($"Suite '{suite.Name}' is the study '{name}': {jobs} candidates queued; 'mlwb worker --storage CONN --study {name}' joins it; the results go to {suite.OutputDirectory}.");
        }
        var console = Consoles.For(output);
        var written = await SharedSuite.WorkAsync(suite, connection, name, (results, token) =>
        {
            results.Environment = Workbench.DescribeEnvironment(suite.Seed, suite.Device, suite.Precision, commandLine, suite.Sha256);
            Directory.CreateDirectory(suite.OutputDirectory);
            return RunOutput.FinishAsync(results, suite.OutputDirectory, RunOutput.IndexFolder(suite.OutputDirectory, indexFolder), console, output, error, token);
        }, output, cancellationToken);
        if (written is { } code) return code;
        if (cancellationToken.IsCancellationRequested) return ExitCodes.Interrupted;
        await output.WriteLineAsync($"Worker {Environment.MachineName}:{Environment.ProcessId}: the study '{name}' has no work left. " +
            "Another process finalized it ('mlwb report --storage CONN --study NAME' renders its report).");
        return ExitCodes.Success;
    }

    /// <summary>One experiment, checked and ready to run.</summary>
    private sealed record Plan(string Name, int Trials, Func<IProgress<TrialProgress>, CancellationToken, Task<ExperimentResult>> Run);

    // The library checks and prepares every task family's experiment; the command only shows and runs the plans.
    private static Plan Prepare(Workbench workbench, ExperimentSpec spec)
    {
        var run = workbench.Prepare(spec);
        return new Plan(run.Name, run.Trials, (p, ct) => run.RunAsync(p, ct));
    }

    private static async Task<int> RunAsync(string suitePath, bool dryRun, DirectoryInfo? indexFolder, TextWriter output, TextWriter error, string commandLine, CancellationToken cancellationToken)
    {
        // Everything that bad input can break is checked before the first model trains or any file is written.
        var suite = SuiteReader.Read(suitePath);
        var workbench = new Workbench();
        var plans = suite.Experiments.Select(spec => Prepare(workbench, spec)).ToList();
        if (dryRun)
        {
            foreach (var (spec, plan) in suite.Experiments.Zip(plans))
                output.WriteLine($"{spec.Name}: {spec.Task.ToName()} on {spec.DataPath}, " + (spec.AutoML is { } a
                    ? $"AutoML search ({a.Tuner}, {(a.MaxTrials is { } t ? $"at most {t} trials" : "")}{(a.MaxTrials is not null && a.BudgetSeconds is not null ? ", " : "")}{(a.BudgetSeconds is { } b ? $"{b:0.#} s" : "")})"
                    : $"{plan.Trials} candidates") + $"; model to {spec.ModelPath}");
            output.WriteLine($"Suite '{suite.Name}' is valid: {plans.Count} experiment{(plans.Count == 1 ? "" : "s")}; output would go to {suite.OutputDirectory}.");
            return ExitCodes.Success;
        }

        var console = Consoles.For(output);
        var results = new RunResults
        {
            Suite = suite.Name,
            StartedUtc = DateTimeOffset.UtcNow,
            Environment = Workbench.DescribeEnvironment(suite.Seed, suite.Device, suite.Precision, commandLine, suite.Sha256),
        };
        Directory.CreateDirectory(suite.OutputDirectory);
        RunOutput.CleanStaleTemporaryFiles(suite.OutputDirectory);
        foreach (var (plan, index) in plans.Select((p, i) => (p, i)))
        {
            var result = await ProgressView.RunAsync(console, plan.Name, plan.Trials, reporter => plan.Run(reporter, cancellationToken), index, plans.Count);
            results.Experiments.Add(result);
            if (cancellationToken.IsCancellationRequested) break;
        }
        return await RunOutput.FinishAsync(results, suite.OutputDirectory, RunOutput.IndexFolder(suite.OutputDirectory, indexFolder), console, output, error, cancellationToken);
    }
}
