using System.CommandLine;
using System.Globalization;
using MLWorkbench.AutoML;
using MLWorkbench.Cli.Suites;
using MLWorkbench.Data;
using MLWorkbench.Images;
using MLWorkbench.Models;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;
using Spectre.Console;
using MLWorkbench.Search;

namespace MLWorkbench.Cli.Commands;

/// <summary><c>mlwb list candidates [--task T]</c> and <c>mlwb list datasets [FOLDER]</c>.</summary>
internal static class ListCommand
{
    public static Command Create(TextWriter output)
    {
        var task = new Option<string?>("--task") { Description = $"Only the candidates of this task ({string.Join(", ", TaskFamilies.Names)})." };
        var candidates = new Command("candidates", "List the candidates of every task: tabular trainers with their search spaces, the others with their settings.") { task };
        candidates.SetAction(parse =>
        {
            TaskKind? only = parse.GetValue(task) is { } name
                ? TaskFamilies.Parse(name) ?? throw new WorkbenchInputException($"Unknown task '{name}'; use one of: {string.Join(", ", TaskFamilies.Names)}.")
                : null;
            var table = new Table().AddColumns("candidate", "family", "tasks", "search space (cheap starting point) or default settings");
            // Tabular trainers: one row each, with every tabular task it serves and its search space.
            var tabular = TaskFamilies.For(TaskKind.Regression);
            var tabularTasks = new[] { TaskKind.Regression, TaskKind.BinaryClassification, TaskKind.MulticlassClassification };
            var served = new Dictionary<string, List<TaskKind>>(StringComparer.Ordinal);
            foreach (var kind in tabularTasks)
                foreach (var trainer in tabular.CandidateNames(kind))
                    (served.TryGetValue(trainer, out var kinds) ? kinds : served[trainer] = []).Add(kind);
            foreach (var (trainer, kinds) in served.Where(t => only is null || t.Value.Contains(only.Value)))
            {
                var kind = only ?? kinds[0];
                var space = tabular.SpaceOf(kind, trainer)!;
                var family = tabular.Describe(kind).First(d => d.Name == trainer).Family;
                var parameters = string.Join("\n", space.Parameters.Select(p => $"{p.Name}: {Describe(p)} (start {Format(space.Initial[p.Name])})"));
                table.AddRow(trainer, family, string.Join(", ", kinds.Select(t => t.ToName())), Markup.Escape(parameters));
            }
            // Image, text and sentence-pair candidates: a suite trains each at these settings (creating one only configures it).
            foreach (var kind in new[] { TaskKind.ImageClassification, TaskKind.TextClassification, TaskKind.SentenceSimilarity }.Where(k => only is null || only == k))
                foreach (var (candidate, family, settings) in TaskFamilies.For(kind).Describe(kind))
                {
                    var parameters = string.Join("\n", settings.Where(p => p.Value is not null).Select(p => $"{p.Key}: {Format(p.Value!)}"));
                    table.AddRow(candidate, family, kind.ToName(), Markup.Escape(parameters));
                }
            Consoles.For(output).Write(table);
            return ExitCodes.Success;
        });

        var folder = new Argument<DirectoryInfo?>("folder") { Description = "Where to look (default: datasets).", Arity = ArgumentArity.ZeroOrOne };
        var datasets = new Command("datasets", "List the CSV/TSV data files in a folder with their rows and columns.") { folder };
        datasets.SetAction(parse =>
        {
            var root = parse.GetValue(folder)?.FullName ?? Path.GetFullPath("datasets");
            if (!Directory.Exists(root)) throw new WorkbenchInputException($"Folder '{root}' does not exist.");
            var table = new Table().AddColumns("file", "rows", "columns", "first columns");
            foreach (var file in Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
                         .Where(f => f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase)).Order())
            {
                (IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows) data;
                try
                {
                    data = Workbench.ReadCsv(file);
                }
                catch (WorkbenchInputException e)
                {
                    // One unreadable file (another encoding, a ragged row) should not hide the others.
                    table.AddRow(Markup.Escape(Path.GetRelativePath(root, file)), "-", "-", Markup.Escape(MessageText.Clip(e.Message, 120)));
                    continue;
                }
                table.AddRow(Markup.Escape(Path.GetRelativePath(root, file)), data.Rows.Count.ToString(CultureInfo.InvariantCulture),
                    data.Columns.Count.ToString(CultureInfo.InvariantCulture), Markup.Escape(MessageText.List(data.Columns, 6)));
            }
            Consoles.For(output).Write(table);
            return ExitCodes.Success;
        });
        return new Command("list", "List candidates or data sets.") { candidates, datasets };
    }

    private static string Describe(ParameterDomain p) => p switch
    {
        FloatDomain f => $"{Format(f.Low)}..{Format(f.High)}{(f.Log ? " log" : "")}",
        IntDomain i => $"{i.Low}..{i.High}{(i.Log ? " log" : "")}",
        ChoiceDomain c => string.Join("|", c.Choices),
        _ => "",
    };

    private static string Format(object value) => value is double d ? d.ToString("G4", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
