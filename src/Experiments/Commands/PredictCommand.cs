using System.CommandLine;
using System.Globalization;
using System.Text;
using CsvHelper;
using MLWorkbench.Bundles;
using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb predict MODEL INPUT [--out FILE]</c>: predicts every row of a CSV/TSV file with a saved <c>.mlwb</c> model.
/// Writes a CSV of the input columns followed by <c>predicted</c>, for classifiers <c>probability</c> (of the predicted
/// class) and one <c>probability_CLASS</c> column per class, and <c>error</c>, which is empty for predicted rows and
/// says what is wrong with a bad row (its prediction columns are left empty). Image, text and sentence-similarity models
/// read the columns <c>image</c> (a file path; relative paths are taken from the input file's folder, as in an image
/// CSV data set), <c>text</c>, or <c>sentence1</c> and <c>sentence2</c>; a similarity model's <c>predicted</c> is the
/// score. A field a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR, and not a plain number)
/// is written with a leading <c>'</c> (<see cref="SpreadsheetSafeField"/>). Exit code 2 when the model or the input
/// file is missing or damaged or the input lacks a column the model needs; bad rows alone do not change the exit code.
/// </summary>
internal static class PredictCommand
{
    private const int Chunk = 1024;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .mlwb model file, e.g. model.mlwb written by mlwb automl." };
        var input = new Argument<FileInfo>("input") { Description = "Rows to predict: CSV or TSV with a header row; the label column may be absent." };
        var outFile = new Option<FileInfo?>("--out") { Description = "Where to write the predictions as CSV (default: standard output)." };
        var encoding = EncodingOption.Create();
        var signature = SignCommand.RequireSignatureOption();
        var command = new Command("predict", "Predict the rows of a CSV/TSV file with a saved model.") { model, input, outFile, encoding, signature };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var inputEncoding = EncodingOption.Parse(parse.GetValue(encoding));
            using var bundle = await SignCommand.LoadAsync(parse.GetValue(model)!.FullName, parse.GetValue(signature), cancellationToken);
            var inputPath = parse.GetValue(input)!.FullName;
            var data = Workbench.ReadCsv(inputPath, inputEncoding);
            var present = data.Columns.ToHashSet(StringComparer.Ordinal);
            var missing = bundle.InputColumns.Where(c => c.Required && !present.Contains(c.Name)).Select(c => $"'{c.Name}'").ToArray();
            if (missing.Length > 0)
                throw new WorkbenchInputException($"Input file '{inputPath}' lacks column{(missing.Length > 1 ? "s" : "")} {MessageText.List(missing)} that the model needs.");

            var header = Header(data.Columns, bundle.ClassNames);
            var imageRoot = bundle.Task == Tasks.TaskKind.ImageClassification ? Path.GetDirectoryName(inputPath) : null;
            var target = parse.GetValue(outFile)?.FullName;
            int failed;
            if (target is null)
            {
                failed = Write(output, data, bundle, header, imageRoot, cancellationToken);
                await output.FlushAsync(cancellationToken);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var temp = $"{target}.{Guid.NewGuid():N}.tmp";
                try
                {
                    await using (var writer = new StreamWriter(temp, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
                        failed = Write(writer, data, bundle, header, imageRoot, cancellationToken);
                    File.Move(temp, target, overwrite: true);
                }
                finally
                {
                    if (File.Exists(temp)) File.Delete(temp);
                }
                await output.WriteLineAsync($"Predictions: {target} ({data.Rows.Count - failed} of {data.Rows.Count} rows predicted).");
            }
            if (failed > 0)
                await error.WriteLineAsync($"{failed} of {data.Rows.Count} rows could not be predicted; the error column says why.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The input columns, then the prediction columns, each renamed with a trailing underscore if the input already has that name.</summary>
    private static string[] Header(IReadOnlyList<string> inputs, IReadOnlyList<string>? classes)
    {
        var taken = new HashSet<string>(inputs, StringComparer.Ordinal);
        string Unique(string name)
        {
            while (!taken.Add(name)) name += "_";
            return name;
        }
        var added = new List<string> { Unique("predicted") };
        if (classes is not null)
        {
            added.Add(Unique("probability"));
            added.AddRange(classes.Select(c => Unique("probability_" + c)));
        }
        added.Add(Unique("error"));
        return [.. inputs, .. added];
    }

    private static int Write(TextWriter writer, (IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows) data, WorkbenchModel bundle, string[] header, string? imageRoot, CancellationToken cancellationToken)
    {
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture, leaveOpen: true);
        // Every field goes through SpreadsheetSafeField: input fields, class names and messages all come from outside.
        void Field(string? value) => csv.WriteField(SpreadsheetSafeField.Neutralise(value));
        foreach (var name in header) Field(name);
        csv.NextRecord();
        var failed = 0;
        for (var start = 0; start < data.Rows.Count; start += Chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = data.Rows.Skip(start).Take(Chunk).ToArray();
            var results = bundle.PredictBatch(rows.Select(r => Row(data.Columns, r, imageRoot)));
            for (var i = 0; i < rows.Length; i++)
            {
                foreach (var field in rows[i]) Field(field);
                var prediction = results[i].Prediction;
                if (prediction is null) failed++;
                if (bundle.ClassNames is null)
                    Field(Number(prediction?.Value));
                else
                {
                    Field(prediction?.PredictedLabel);
                    Field(Number(prediction?.Probability));
                    foreach (var c in bundle.ClassNames) Field(Number(prediction?.Probabilities?[c]));
                }
                Field(results[i].Error);
                csv.NextRecord();
            }
        }
        csv.Flush();
        return failed;
    }

    private static IReadOnlyDictionary<string, string?> Row(IReadOnlyList<string> columns, string[] fields, string? imageRoot)
    {
        var row = new Dictionary<string, string?>(columns.Count, StringComparer.Ordinal);
        for (var c = 0; c < columns.Count; c++) row[columns[c]] = fields[c];
        // Image paths relative to the input file, as image data set CSVs have them (a path that cannot be combined is left for the model to report).
        if (imageRoot is not null && row.TryGetValue(WorkbenchModel.ImageColumn, out var image) && !string.IsNullOrWhiteSpace(image)
            && !Path.IsPathRooted(image.Trim()) && image.IndexOfAny(Path.GetInvalidPathChars()) < 0)
            row[WorkbenchModel.ImageColumn] = Path.Combine(imageRoot, image.Trim());
        return row;
    }

    private static string Number(float? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";
}
