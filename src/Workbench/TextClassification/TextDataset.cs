using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.TextClassification;

/// <summary>How texts are read from a file.</summary>
internal sealed record TextLoadOptions
{
    /// <summary>
    /// Longest text kept, in UTF-16 characters; longer texts are cut to this length and counted in
    /// <see cref="TextDataset.TruncatedTexts"/> (a 1 MB line costs memory, not an error). Default 10,000.
    /// </summary>
    public int MaxCharacters { get; init; } = 10_000;

    /// <summary>The file's encoding; null: UTF-8 (<see cref="DataFileText.ParseEncoding"/> turns a name into one).</summary>
    public Encoding? Encoding { get; init; }
}

/// <summary>
/// A CSV or TSV file (UTF-8 unless <see cref="TextLoadOptions.Encoding"/> says otherwise, header row; comma, tab or semicolon detected; RFC 4180 quoting) with a text column and a
/// label column, loaded as <see cref="TextExamples"/>. Empty or whitespace-only texts are kept as empty strings and
/// counted in <see cref="EmptyTexts"/>; an empty label, a byte the encoding does not allow or fewer than two classes is an error that names
/// the file and line. Class names are sorted ordinally, so class indices do not depend on row order.
/// </summary>
internal sealed class TextDataset
{
    private TextDataset(string path, string sha256, int columns, string textColumn, string labelColumn, TextExamples examples,
        int[] lines, int emptyTexts, int truncatedTexts, int maxCharacters)
    {
        (Path, Sha256, Columns, TextColumn, LabelColumn, Examples, Lines) = (path, sha256, columns, textColumn, labelColumn, examples, lines);
        (EmptyTexts, TruncatedTexts, MaxCharacters) = (emptyTexts, truncatedTexts, maxCharacters);
    }

    /// <summary>The file the texts came from.</summary>
    public string Path { get; }

    /// <summary>SHA-256 of the file's bytes, lower-case hex.</summary>
    public string Sha256 { get; }

    /// <summary>Columns in the header.</summary>
    public int Columns { get; }

    /// <summary>The text column's name.</summary>
    public string TextColumn { get; }

    /// <summary>The label column's name.</summary>
    public string LabelColumn { get; }

    /// <summary>Every example, in file order.</summary>
    public TextExamples Examples { get; }

    /// <summary>The file line each example starts on (1-based, the header is line 1).</summary>
    public IReadOnlyList<int> Lines { get; }

    /// <summary>Texts that were empty or whitespace only (kept, as empty strings).</summary>
    public int EmptyTexts { get; }

    /// <summary>Texts longer than <see cref="MaxCharacters"/>, cut to that length.</summary>
    public int TruncatedTexts { get; }

    /// <summary>The longest text kept, in characters.</summary>
    public int MaxCharacters { get; }

    /// <summary>Loads <paramref name="path"/>; <paramref name="classNames"/>, when given, fixes the classes (a test file must use the training file's).</summary>
    /// <exception cref="WorkbenchInputException">The file, a column, a line or a label is wrong.</exception>
    public static TextDataset Load(string path, string textColumn, string labelColumn, TextLoadOptions? options = null,
        IReadOnlyList<string>? classNames = null)
    {
        options ??= new TextLoadOptions();
        if (options.MaxCharacters < 1) throw new WorkbenchInputException($"The longest text kept must be at least 1 character, not {options.MaxCharacters}.");
        var (reader, sha) = DataFileText.Open(path, "Text data file", options.Encoding);

        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true, DetectDelimiterValues = [",", "\t", ";"], BadDataFound = null, TrimOptions = TrimOptions.None,
        };
        using var text = reader;
        using var csv = new CsvReader(reader, config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
            throw new WorkbenchInputException($"Text data file '{path}' is empty; expected a header row.");
        header = header.Select(h => h.Trim()).ToArray();
        var textIndex = Array.IndexOf(header, textColumn);
        var labelIndex = Array.IndexOf(header, labelColumn);
        if (textIndex < 0) throw new WorkbenchInputException($"Text data file '{path}' has no column '{MessageText.Clip(textColumn)}' for the text; its columns are {MessageText.List(header)}.");
        if (labelIndex < 0) throw new WorkbenchInputException($"Text data file '{path}' has no column '{MessageText.Clip(labelColumn)}' for the label; its columns are {MessageText.List(header)}.");
        if (textIndex == labelIndex) throw new WorkbenchInputException($"The text and the label column of '{path}' must differ, but both are '{textColumn}'.");

        var texts = new List<string>();
        var labels = new List<string>();
        var lines = new List<int>();
        var (empty, truncated) = (0, 0);
        while (csv.Read())
        {
            var record = csv.Parser.Record ?? [];
            var line = CsvLines.StartLine(csv.Parser);
            if (record.Length == 1 && record[0].Length == 0) continue; // blank line
            if (record.Length != header.Length)
                throw new WorkbenchInputException($"Text data file '{path}', line {line}: expected {header.Length} fields as in the header, found {record.Length}.");
            var label = record[labelIndex].Trim();
            if (label.Length == 0)
                throw new WorkbenchInputException($"Text data file '{path}', line {line}, column '{labelColumn}': the label is empty.");
            var value = record[textIndex];
            if (string.IsNullOrWhiteSpace(value)) { value = ""; empty++; }
            else if (value.Length > options.MaxCharacters)
            {
                // Never split a surrogate pair.
                var cut = char.IsHighSurrogate(value[options.MaxCharacters - 1]) ? options.MaxCharacters - 1 : options.MaxCharacters;
                value = value[..cut];
                truncated++;
            }
            texts.Add(value);
            labels.Add(label);
            lines.Add(line);
        }
        if (texts.Count == 0) throw new WorkbenchInputException($"Text data file '{path}' has a header but no data rows.");

        var classes = classNames ?? labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classNames is null && classes.Count < 2)
            throw new WorkbenchInputException($"Text data file '{path}', column '{labelColumn}': every row has the label '{MessageText.Clip(classes[0])}'; classification needs at least two classes.");
        var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var values = new float[labels.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            if (!index.TryGetValue(labels[i], out var k))
                throw new WorkbenchInputException(
                    $"Text data file '{path}', line {lines[i]}, column '{labelColumn}': label '{MessageText.Clip(labels[i])}' is not one of the training classes ({MessageText.List(classes)}).");
            values[i] = k;
        }
        return new TextDataset(path, sha, header.Length, textColumn, labelColumn, new TextExamples(texts, values, classes), lines.ToArray(),
            empty, truncated, options.MaxCharacters);
    }
}
