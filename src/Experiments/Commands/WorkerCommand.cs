using System.CommandLine;
using System.Text.Json;
using MLWorkbench.AutoML;
using MLWorkbench.Results;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb worker --storage CONN --study NAME</c>: joins a study that <c>mlwb automl ... --storage CONN --study NAME</c>
/// (or <c>mlwb run SUITE --storage CONN</c>, see <see cref="SharedSuite"/>) created in PostgreSQL and runs its trials until
/// the study's budget or trial limit is reached (a suite's: until no candidate is left). The search's settings
/// come from the study itself (its creator recorded them), so every worker runs the same search; the data files come
/// from the database too (materialized into a local cache, checked against their SHA-256), unless the creator kept them
/// out of it (<c>--no-store-data</c>): then they must be readable at the paths the creator used. When no trial runs any more, exactly one process (the creator or a worker)
/// finalizes the study: it refits the best trial and writes results.json, the report and model.mlwb into the creator's
/// output folder, and keeps the results in the database for <c>mlwb report --storage CONN --study NAME</c>.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var storage = new Option<string>("--storage") { Description = "The study's PostgreSQL database: a connection string or postgresql:// URI.", Required = true };
        var study = new Option<string>("--study") { Description = "The study's name, as given to mlwb automl --study.", DefaultValueFactory = _ => "automl" };
        var parallel = new Option<int>("--parallel") { Description = "Trials this worker runs at once.", DefaultValueFactory = _ => 1 };
        var cache = new Option<DirectoryInfo?>("--cache")
        {
            Description = "Where the study's data files from the database are kept on this machine (default: mlwb/study-data in the user's local application data).",
        };
        var outDir = new Option<DirectoryInfo?>("--out")
        {
            Description = "Where this worker writes results.json, the report and model.mlwb if it finalizes the study (default: the creator's --out).",
        };
        var command = new Command("worker", "Join a study in a PostgreSQL store and run its trials until its budget or trial limit.") { storage, study, parallel, cache, outDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var connection = parse.GetValue(storage)!;
            var name = parse.GetValue(study)!;
            if (!PostgresStudyStore.IsConnectionString(connection))
                throw new WorkbenchInputException($"--storage '{connection}' is not a PostgreSQL connection string or postgresql:// URI; a worker joins a shared study, and a SQLite file has one writer.");
            string? spec;
            IReadOnlyDictionary<string, string> local;
            using (var store = new PostgresStudyStore(connection))
            {
                spec = await store.GetSpecAsync(name, cancellationToken);
                if (spec is null)
                    throw new WorkbenchInputException($"There is no study '{name}' to join in that store: start it with 'mlwb automl ... --storage CONN --study {name}' first.");
                // Nothing shared but the database: the study's data files come from it (checked against their SHA-256).
                local = await store.MaterializeDataAsync(name, parse.GetValue(cache)?.FullName ?? DefaultCache(), cancellationToken);
            }
            var searched = Arguments(spec, name);
            if (searched is ["suite", var suiteStudy])
            {
                // An AutoML experiment of a suite: the suite's study holds its data and runs it, with the rest of the suite.
                string[] whole = ["worker", "--storage", connection, "--study", suiteStudy, "--parallel", parse.GetValue(parallel).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    .. parse.GetValue(cache) is { } c ? ["--cache", c.FullName] : Array.Empty<string>(), .. parse.GetValue(outDir) is { } o ? ["--out", o.FullName] : Array.Empty<string>()];
                await output.WriteLineAsync($"The study '{name}' is an AutoML experiment of the suite study '{suiteStudy}': joining that.");
                return await Cli.RunAsync(whole, output, error, cancellationToken);
            }
            if (searched is ["run", var suitePath, ..])
            {
                // A suite's study: its file and data from the cache, its output where this worker was told.
                var outFolder = parse.GetValue(outDir)?.FullName ?? searched.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
                string[] run = ["run", local.GetValueOrDefault("--suite") ?? suitePath, "--storage", connection, "--study", name, "--join",
                    .. outFolder is null ? Array.Empty<string>() : ["--out", outFolder], .. local.SelectMany(f => new[] { "--file", $"{f.Key}={f.Value}" })];
                return await Cli.RunAsync(run, output, error, cancellationToken);
            }
            for (var i = 0; i + 1 < searched.Length; i++)
            {
                if (local.TryGetValue(searched[i], out var path)) searched[i + 1] = path;
                else if (searched[i] == "--out" && parse.GetValue(outDir) is { } own) searched[i + 1] = own.FullName;
            }
            string[] arguments = ["automl", .. searched, "--storage", connection, "--study", name, "--parallel", parse.GetValue(parallel).ToString(System.Globalization.CultureInfo.InvariantCulture), "--join"];
            return await Cli.RunAsync(arguments, output, error, cancellationToken);
        });
        return command;
    }

    /// <summary>The data cache of a worker that names none: per user, so that the studies this user joins share it.</summary>
    private static string DefaultCache()
    {
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return Path.Combine(root.Length > 0 ? root : Path.GetTempPath(), "mlwb", "study-data");
    }

    /// <summary>The spec a study records for its workers: the search's arguments as a JSON array.</summary>
    public static string Spec(IReadOnlyList<string> arguments) => JsonSerializer.Serialize(arguments);

    private static string[] Arguments(string spec, string name)
    {
        try
        {
            return JsonSerializer.Deserialize<string[]>(spec) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new WorkbenchInputException($"The study '{name}' records settings this MLWorkbench cannot read ({ex.Message}): run the worker with the MLWorkbench that created it.", ex);
        }
    }

    /// <summary>One line about what a worker did.</summary>
    public static string Summary(string study, ExperimentResult result)
    {
        var stop = result.AutoML?.StopReason switch { "trials" => "its trial limit was reached", "budget" => "its budget was spent", _ => "it was interrupted" };
        var finalized = result.AutoML?.StopReason is "trials" or "budget" ? " Another process finalized it ('mlwb report --storage CONN --study NAME' renders its report)." : "";
        return $"Worker {Environment.MachineName}:{Environment.ProcessId} stopped because {stop}; the study '{study}' has {result.Trials.Count} finished trials.{finalized}";
    }
}
