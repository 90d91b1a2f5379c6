using System.Globalization;
using MLWorkbench.Experiments;
using MLWorkbench.Results;
using Spectre.Console;
using MLWorkbench.AutoML;

namespace MLWorkbench.Cli;

/// <summary>
/// Shows trial progress: a live progress bar with elapsed time in a terminal, one plain line per trial otherwise
/// (logs, CI, redirected output).
/// </summary>
internal static class ProgressView
{
    public static async Task<ExperimentResult> RunAsync(IAnsiConsole console, string experiment, int trials,
        Func<IProgress<TrialProgress>, Task<ExperimentResult>> run, int experimentIndex = 0, int experiments = 1)
    {
        if (console.Profile.Capabilities.Interactive)
        {
            ExperimentResult? result = null;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(Markup.Escape(experiment), maxValue: trials);
                    var reporter = new Progress<TrialProgress>(p =>
                    {
                        task.Description = Markup.Escape($"{experiment}: {p.Candidate}");
                        if (p.Status is not null) task.Increment(1);
                    });
                    result = await run(reporter);
                    task.Value = trials;
                });
            return result!;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Synchronous reporter: lines appear in order even though trials run on the thread pool.
        var plain = new SynchronousProgress<TrialProgress>(p =>
        {
            if (p.Status is null) { clock.Restart(); return; }
            // Counted per experiment: a budgeted search does not know its number of trials in advance.
            var position = (experiments > 1 ? $"experiment {experimentIndex + 1}/{experiments}, " : "")
                           + (trials > 0 ? $"{p.Index + 1}/{trials}" : $"trial {p.Index + 1}");
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{position}] {experiment}: {p.Candidate} {p.Status} ({clock.Elapsed.TotalSeconds:0.0} s)"));
        });
        return await run(plain);
    }

    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}

/// <summary>Spectre consoles over a given writer; interactive only for a real terminal.</summary>
internal static class Consoles
{
    private static IAnsiConsole WithWidth(this IAnsiConsole console, int width)
    {
        console.Profile.Width = width;
        return console;
    }

    public static IAnsiConsole For(TextWriter writer)
    {
        var terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        return terminal
            ? AnsiConsole.Console
            : AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(writer),
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
            }).WithWidth(160);
    }
}
