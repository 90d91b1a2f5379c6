using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.Similarity;

/// <summary>How a sentence-pair file is laid out.</summary>
internal enum SentencePairFormat
{
    /// <summary>Detect: STS Benchmark lines when the first line has at least 7 tab-separated fields and a number in the 5th; otherwise a delimited file with a header.</summary>
    Auto,
    /// <summary>CSV (comma, RFC 4180 quoting) or TSV (tab, quotes are plain characters) with a header row naming the sentence and score columns.</summary>
    Delimited,
    /// <summary>
    /// The STS Benchmark's own files: no header, tab-separated <c>genre, file, year, id, score, sentence1, sentence2</c>;
    /// fields after the 7th (licence notes on some lines) are ignored and quotes are plain characters. Range 0 to 5.
    /// </summary>
    StsBenchmark,
}

/// <summary>Where the sentences and scores are in a delimited file, and what range the scores are on.</summary>
internal sealed record SentencePairLoadOptions
{
    /// <summary>Header name of the first sentence's column.</summary>
    public string Sentence1Column { get; init; } = "sentence1";

    /// <summary>Header name of the second sentence's column.</summary>
    public string Sentence2Column { get; init; } = "sentence2";

    /// <summary>Header name of the score column.</summary>
    public string ScoreColumn { get; init; } = "score";

    /// <summary>
    /// The stated score range; every score of every file must lie in it. Null: 0 to 5 for STS Benchmark files, and for
    /// delimited files the minimum and maximum of the training scores (then other files are not checked against it).
    /// </summary>
    public ScoreRange? Range { get; init; }

    /// <summary>The layout; <see cref="SentencePairFormat.Auto"/> detects it.</summary>
    public SentencePairFormat Format { get; init; } = SentencePairFormat.Auto;

    /// <summary>The file's encoding; null: UTF-8 (<see cref="DataFileText.ParseEncoding"/> turns a name into one).</summary>
    public Encoding? Encoding { get; init; }
}

/// <summary>
/// A loaded sentence-pair file: its pairs, its format, its hash. An empty sentence is kept and scored (every model
/// gives it some score); an empty, non-numeric or out-of-range score, a missing column or a short line is an error
/// naming the file, line and column. Identical pairs and non-English text are fine.
/// </summary>
internal sealed class SentencePairFile
{
    private SentencePairFile(string path, string sha256, SentencePairFormat format, SentencePairs pairs, bool rangeStated)
    {
        (Path, Sha256, Format, Pairs, RangeStated) = (path, sha256, format, pairs, rangeStated);
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>SHA-256 of the file's bytes, lower-case hex.</summary>
    public string Sha256 { get; }

    /// <summary>The detected (or requested) layout.</summary>
    public SentencePairFormat Format { get; }

    /// <summary>The pairs, on the stated range or, when none was stated, on the min/max of this file's scores.</summary>
    public SentencePairs Pairs { get; }

    /// <summary>True when the range came from the options or the format rather than from the scores.</summary>
    public bool RangeStated { get; }

    /// <summary>Loads a CSV/TSV file with a header, or an STS Benchmark file.</summary>
    /// <exception cref="WorkbenchInputException">The file is missing, empty or malformed; the message names the line and column.</exception>
    public static SentencePairFile Load(string path, SentencePairLoadOptions? options = null)
    {
        options ??= new SentencePairLoadOptions();
        var (text, sha) = DataFileText.ReadAll(path, "Sentence-pair file", options.Encoding);
        var format = options.Format == SentencePairFormat.Auto ? Detect(text) : options.Format;
        var stated = options.Range ?? (format == SentencePairFormat.StsBenchmark ? ScoreRange.StsBenchmark : null);
        var rows = format == SentencePairFormat.StsBenchmark ? ReadSts(path, text) : ReadDelimited(path, text, options);
        if (rows.Count == 0) throw new WorkbenchInputException($"Sentence-pair file '{path}' has no sentence pairs.");
        var scoreColumn = format == SentencePairFormat.StsBenchmark ? "5 (score)" : $"'{options.ScoreColumn}'";
        if (stated is not null)
            foreach (var row in rows)
                if (!stated.Contains(row.Score))
                    throw new WorkbenchInputException(
                        $"Sentence-pair file '{path}', line {row.Line}, column {scoreColumn}: score {row.Score.ToString(CultureInfo.InvariantCulture)} is outside the stated range {stated}.");
        var range = stated ?? new ScoreRange(rows.Min(r => r.Score), rows.Max(r => r.Score));
        var pairs = new SentencePairs(rows.Select(r => r.First).ToArray(), rows.Select(r => r.Second).ToArray(),
            rows.Select(r => (float)r.Score).ToArray(), range, rows.Select(r => r.Line).ToArray());
        return new SentencePairFile(path, sha, format, pairs, stated is not null);
    }

    private readonly record struct Row(int Line, string First, string Second, double Score);

    private static SentencePairFormat Detect(string text)
    {
        var first = text.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.Length > 0) ?? "";
        var fields = first.Split('\t');
        return fields.Length >= 7 && double.TryParse(fields[4], NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? SentencePairFormat.StsBenchmark
            : SentencePairFormat.Delimited;
    }

    private static List<Row> ReadSts(string path, string text)
    {
        var rows = new List<Row>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0) continue;
            var fields = line.Split('\t');
            if (fields.Length < 7)
                throw new WorkbenchInputException(
                    $"Sentence-pair file '{path}', line {i + 1}: expected at least 7 tab-separated fields (genre, file, year, id, score, sentence1, sentence2), found {fields.Length}.");
            rows.Add(new Row(i + 1, fields[5], fields[6], ParseScore(path, i + 1, "5 (score)", fields[4])));
        }
        return rows;
    }

    private static List<Row> ReadDelimited(string path, string text, SentencePairLoadOptions options)
    {
        var headerLine = text.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.Length > 0)
            ?? throw new WorkbenchInputException($"Sentence-pair file '{path}' is empty; expected a header row naming {options.Sentence1Column}, {options.Sentence2Column} and {options.ScoreColumn}.");
        var tab = headerLine.Contains('\t') || path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);
        var delimiter = tab ? "\t" : headerLine.Contains(',') ? "," : headerLine.Contains(';') ? ";" : ",";
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = delimiter,
            // Tab-separated text is taken literally: a quote in a sentence is just a character.
            Mode = tab ? CsvMode.NoEscape : CsvMode.RFC4180,
            BadDataFound = null,
            TrimOptions = TrimOptions.Trim,
            IgnoreBlankLines = true,
        };
        using var csv = new CsvReader(new StringReader(text), config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
            throw new WorkbenchInputException($"Sentence-pair file '{path}' is empty; expected a header row.");
        int Column(string name)
        {
            var index = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
                throw new WorkbenchInputException(
                    $"Sentence-pair file '{path}' has no column '{MessageText.Clip(name)}' in its header (columns: {MessageText.List(header)}).");
            return index;
        }
        var (a, b, s) = (Column(options.Sentence1Column), Column(options.Sentence2Column), Column(options.ScoreColumn));
        var rows = new List<Row>();
        while (csv.Read())
        {
            var record = csv.Parser.Record ?? [];
            var line = CsvLines.StartLine(csv.Parser);
            if (record.Length == 1 && record[0].Length == 0) continue;
            if (record.Length < header.Length)
                throw new WorkbenchInputException(
                    $"Sentence-pair file '{path}', line {line}: expected {header.Length} fields as in the header, found {record.Length}.");
            rows.Add(new Row(line, record[a], record[b], ParseScore(path, line, $"'{options.ScoreColumn}'", record[s])));
        }
        return rows;
    }

    private static double ParseScore(string path, int line, string column, string value)
    {
        if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var score) && double.IsFinite(score)) return score;
        throw new WorkbenchInputException(value.Trim().Length == 0
            ? $"Sentence-pair file '{path}', line {line}, column {column}: the score is empty."
            : $"Sentence-pair file '{path}', line {line}, column {column}: score '{MessageText.Clip(value)}' is not a number.");
    }
}
