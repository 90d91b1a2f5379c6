namespace MLWorkbench.Tests;

/// <summary>Runs the <c>mlwb</c> command line in-process, as a user would type it, and returns its exit code and output.</summary>
internal static class MlwbCommand
{
    public static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Cli.Cli.RunAsync(args, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
