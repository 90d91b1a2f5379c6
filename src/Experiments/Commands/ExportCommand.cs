using System.CommandLine;
using System.Globalization;
using MLWorkbench.Bundles;
using MLWorkbench.Models.MlNet;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb export MODEL --onnx OUT</c>: writes the ML.NET part of a saved <c>.mlwb</c> model (feature vector → scores) as
/// ONNX, after checking in ONNX Runtime that it reproduces ML.NET's outputs. The featurizer (<c>featurizer.json</c>) is not
/// in the graph: it runs in .NET before it, so an ONNX consumer feeds the encoded feature vector the command lists. Exit
/// code 2 when the model is missing or damaged, or when it cannot be exported (a TorchSharp network, or a GAM model,
/// which ML.NET's converter does not support).
/// </summary>
internal static class ExportCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .mlwb model file, e.g. model.mlwb written by mlwb automl." };
        var onnx = new Option<FileInfo>("--onnx")
        {
            Description = "Where to write the ONNX graph (features → scores; the featurizer runs in .NET before it).",
            Required = true,
        };
        var signature = SignCommand.RequireSignatureOption();
        var command = new Command("export", "Export a saved ML.NET model to ONNX.") { model, onnx, signature };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var bundle = await SignCommand.LoadAsync(parse.GetValue(model)!.FullName, parse.GetValue(signature), cancellationToken);
            OnnxExport export;
            try
            {
                export = await bundle.ExportOnnxAsync(parse.GetValue(onnx)!.FullName, cancellationToken);
            }
            catch (NotSupportedException e)
            {
                throw new WorkbenchInputException(e.Message, e);
            }
            var features = export.FeatureNames;
            await output.WriteLineAsync($"ONNX model: {export.Path}");
            await output.WriteLineAsync($"Input: {OnnxExport.InputName}, float[N, {features.Count}]: {MessageText.List(features, 8)}.");
            await output.WriteLineAsync($"Output: {export.OutputName}{(export.ClassNames is { } classes ? $" (classes: {MessageText.List(classes)})" : "")}.");
            await output.WriteLineAsync(
                $"Checked against ML.NET on probe rows: largest difference {export.LargestDifference.ToString("G3", CultureInfo.InvariantCulture)} (tolerance {OnnxExport.Tolerance}).");
            await output.WriteLineAsync("The featurizer is not in the graph: encode rows as featurizer.json does (in .NET: WorkbenchModel.EncodeFeatures) before calling it.");
            return ExitCodes.Success;
        });
        return command;
    }
}
