using System.CommandLine;

namespace MLWorkbench.Cli.Commands;

/// <summary><c>mlwb report RESULTS [--out FILE]</c>: renders a results file to HTML.</summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var results = new Argument<FileInfo>("results") { Description = "The results.json file a run wrote." };
        var outFile = new Option<FileInfo?>("--out") { Description = "Where to write the HTML (default: index.html beside the results file)." };
        var command = new Command("report", "Render the HTML report of a results file.") { results, outFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(results)!;
            if (!path.Exists)
            {
                await error.WriteLineAsync($"Results file '{path}' does not exist.");
                return ExitCodes.BadInput;
            }
            var (code, message) = await ReportRendererProcess.RenderAsync(path.FullName, parse.GetValue(outFile)?.FullName, cancellationToken);
            if (code != 0)
            {
                await error.WriteLineAsync(message.Length > 0 ? message : $"The report renderer failed with exit code {code}.");
                return code == ExitCodes.BadInput ? ExitCodes.BadInput : ExitCodes.Failure;
            }
            var html = parse.GetValue(outFile)?.FullName ?? Path.Combine(path.DirectoryName!, "index.html");
            await output.WriteLineAsync($"Report: {html}");
            return ExitCodes.Success;
        });
        return command;
    }
}
