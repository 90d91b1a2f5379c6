using System.CommandLine;
using MLWorkbench.AutoML;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb report RESULTS [--out FILE]</c>: renders a results file to HTML. <c>mlwb report --storage CONN --study NAME
/// [--out DIR]</c>: renders the report of a finished shared study from the results its finalizer kept in the database,
/// and writes the final model it kept there, on any machine that can reach the database.
/// </summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var results = new Argument<FileInfo?>("results") { Description = "The results.json file a run wrote.", Arity = ArgumentArity.ZeroOrOne };
        var outFile = new Option<FileInfo?>("--out")
        {
            Description = "Where to write the HTML (default: index.html beside the results file); with --storage, the folder for results.json, index.html and model.mlwb (default reports/<study>).",
        };
        var storage = new Option<string?>("--storage") { Description = "Render a shared study's report from its PostgreSQL database (a connection string or postgresql:// URI) instead of a file." };
        var study = new Option<string>("--study") { Description = "With --storage: the study's name.", DefaultValueFactory = _ => "automl" };
        var command = new Command("report", "Render the HTML report of a results file, or of a finished study in a PostgreSQL store.") { results, outFile, storage, study };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(storage) is { } connection)
            {
                if (parse.GetValue(results) is not null)
                {
                    await error.WriteLineAsync("Give either a results file or --storage CONN --study NAME, not both.");
                    return ExitCodes.BadInput;
                }
                return await FromStoreAsync(connection, parse.GetValue(study)!, parse.GetValue(outFile)?.FullName, output, error, cancellationToken);
            }
            var path = parse.GetValue(results);
            if (path is null)
            {
                await error.WriteLineAsync("Give the results.json file to render, or --storage CONN --study NAME for a shared study.");
                return ExitCodes.BadInput;
            }
            if (!path.Exists)
            {
                await error.WriteLineAsync($"Results file '{path}' does not exist.");
                return ExitCodes.BadInput;
            }
            return await RenderAsync(path.FullName, parse.GetValue(outFile)?.FullName, output, error, cancellationToken);
        });
        return command;
    }

    /// <summary>Writes the study's stored results to <paramref name="folder"/>/results.json and renders the report beside it.</summary>
    private static async Task<int> FromStoreAsync(string connection, string name, string? folder, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!PostgresStudyStore.IsConnectionString(connection))
        {
            await error.WriteLineAsync($"--storage '{connection}' is not a PostgreSQL connection string or postgresql:// URI; a SQLite study's results are in its output folder's results.json.");
            return ExitCodes.BadInput;
        }
        (string? Results, int Running, int Queued)? found;
        using (var store = new PostgresStudyStore(connection))
            found = await store.GetResultsAsync(name, cancellationToken);
        if (found is not { } study)
        {
            await error.WriteLineAsync($"There is no study '{name}' in that store.");
            return ExitCodes.BadInput;
        }
        if (study.Results is null && study.Running == 0)
        {
            // Every process left before the end (interrupted), or the study predates finalizing: a worker finishes it.
            await error.WriteLineAsync($"The study '{name}' is not finished: no trial is running ({study.Queued} are queued) and no process has finalized it; " +
                $"'mlwb worker --storage CONN --study {name}' runs what is left and finalizes it.");
            return ExitCodes.BadInput;
        }
        if (study.Results is null)
        {
            await error.WriteLineAsync($"The study '{name}' is not finished yet: {study.Running} trials are running and {study.Queued} are queued, " +
                "and its report is written when the last one ends (by the creator or a worker).");
            return ExitCodes.BadInput;
        }
        var directory = Path.GetFullPath(folder ?? Path.Combine("reports", name));
        Directory.CreateDirectory(directory);
        var resultsPath = Path.Combine(directory, "results.json");
        await File.WriteAllTextAsync(resultsPath, study.Results, cancellationToken);
        await output.WriteLineAsync($"Results: {resultsPath}");
        // The finalizer kept the final model in the database too (checked against its SHA-256 on the way out).
        using (var store = new PostgresStudyStore(connection))
            foreach (var written in await store.WriteOutputsAsync(name, directory, cancellationToken))
                await output.WriteLineAsync($"Model: {written}");
        return await RenderAsync(resultsPath, null, output, error, cancellationToken);
    }

    private static async Task<int> RenderAsync(string resultsPath, string? html, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var (code, message) = await ReportRendererProcess.RenderAsync(resultsPath, html, cancellationToken);
        if (code != 0)
        {
            await error.WriteLineAsync(message.Length > 0 ? message : $"The report renderer failed with exit code {code}.");
            return code == ExitCodes.BadInput ? ExitCodes.BadInput : ExitCodes.Failure;
        }
        await output.WriteLineAsync($"Report: {html ?? Path.Combine(Path.GetDirectoryName(resultsPath)!, "index.html")}");
        return ExitCodes.Success;
    }
}
