using System.CommandLine;
using MLWorkbench.Bundles;
using MLWorkbench.Cli;
using MLWorkbench.Cli.Commands;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.Bundles;

public class ExportCommandTests
{
    /// <summary>Runs <c>mlwb export …</c> as <c>Cli.RunAsync</c> would: a bad-input exception is one line on the error writer and exit code 2.</summary>
    private static async Task<(int Code, string Out, string Error)> Export(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand("mlwb") { ExportCommand.Create(output, error) };
        int code;
        try
        {
            var parse = root.Parse(["export", .. args]);
            code = parse.Errors.Count > 0 ? ExitCodes.BadInput : await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            if (parse.Errors.Count > 0) await error.WriteLineAsync(parse.Errors[0].Message);
        }
        catch (WorkbenchInputException e)
        {
            await error.WriteLineAsync(e.Message);
            code = ExitCodes.BadInput;
        }
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Export_writes_onnx_and_says_what_the_graph_takes()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "lightgbm");
        var target = Path.Combine(dir.Path, "model.onnx");
        var (code, output, error) = await Export(saved.Path, "--onnx", target);
        Assert.True(code == 0, error);
        Assert.True(new FileInfo(target).Length > 100);
        Assert.Contains($"ONNX model: {target}", output);
        Assert.Contains("Input: Features, float[N, ", output);
        Assert.Contains("Output: Score.output.", output);
        Assert.Contains("The featurizer is not in the graph", output);
    }

    [Fact]
    public async Task Unsupported_or_missing_models_exit_2_with_one_sentence()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "gam");
        var (code, _, error) = await Export(saved.Path, "--onnx", Path.Combine(dir.Path, "gam.onnx"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal("The gam regression model cannot be exported to ONNX: ML.NET's ONNX converter does not support it (unsupported trainers: gam).", error.Trim());

        var missing = Path.Combine(dir.Path, "none.mlwb");
        (code, _, error) = await Export(missing, "--onnx", Path.Combine(dir.Path, "x.onnx"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"Model file '{missing}' does not exist.", error.Trim());

        (code, _, _) = await Export(saved.Path);
        Assert.Equal(ExitCodes.BadInput, code);
    }
}
