using System.CommandLine;
using MLWorkbench.Cli.Commands;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli;

/// <summary>The <c>mlwb</c> command line, callable in-process with any writers (tests use string writers).</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var commandLine = "mlwb " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        var root = new RootCommand("mlwb: compare ML.NET, ONNX and TorchSharp models on your data and report which is best.")
        {
            RunCommand.Create(output, error, commandLine),
            AutomlCommand.Create(output, error, commandLine),
            WorkerCommand.Create(output, error),
            ReportCommand.Create(output, error),
            PredictCommand.Create(output, error),
            ListCommand.Create(output),
            ExportCommand.Create(output, error),
            SignCommand.Create(output),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            await error.WriteLineAsync(OneSentence(parse.Errors[0].Message) + " Run 'mlwb --help' for usage.");
            return ExitCodes.BadInput;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
                cancellationToken);
        }
        catch (WorkbenchInputException e)
        {
            await error.WriteLineAsync(e.Message);
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"mlwb failed: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.Failure;
        }
    }

    private static string OneSentence(string message)
    {
        var text = message.ReplaceLineEndings(" ").Trim();
        return text.EndsWith('.') ? text : text + ".";
    }
}
