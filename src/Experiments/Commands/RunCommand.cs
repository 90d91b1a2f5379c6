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
        var command = new Command("run", "Run a suite of experiments and write results.json and the HTML report.") { suiteArgument, dryRun, index };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(suiteArgument)!.FullName, parse.GetValue(dryRun), parse.GetValue(index), output, error, commandLine, cancellationToken));
        return command;
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
