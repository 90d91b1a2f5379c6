using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using MLWorkbench.Tasks;

namespace MLWorkbench.Data;

/// <summary>
/// A delimited text file held in memory as strings, with its identity (path, SHA-256).
/// Typing and featurization happen later, per split, so that nothing is learned from test rows.
/// </summary>
internal sealed class TabularData
{
    private readonly int[] _lines;

    private TabularData(string path, string sha256, string[] columns, List<string[]> rows, int[] lines)
    {
        _lines = lines;
        Path = path;
        Sha256 = sha256;
        ColumnNames = columns;
        Rows = rows;
    }

    /// <summary>The file the data came from.</summary>
    public string Path { get; }

    /// <summary>SHA-256 of the file's bytes, lower-case hex.</summary>
    public string Sha256 { get; }

    /// <summary>Header names, in file order.</summary>
    public IReadOnlyList<string> ColumnNames { get; }

    /// <summary>Data rows; each has one field per column.</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>
    /// Loads a CSV or TSV file with a header row. The delimiter (comma, tab, semicolon) is detected;
    /// fields may be quoted (RFC 4180). The file is UTF-8 unless <paramref name="encoding"/> names another
    /// (<see cref="DataFileText.ParseEncoding"/>).
    /// </summary>
    /// <exception cref="WorkbenchInputException">The file is missing, empty, not in the encoding, or has a ragged row.</exception>
    public static TabularData LoadCsv(string path, Encoding? encoding = null)
    {
        var (reader, sha) = DataFileText.Open(path, "Data file", encoding);

        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            DetectDelimiterValues = [",", "\t", ";"],
            BadDataFound = null,
            TrimOptions = TrimOptions.Trim,
        };
        using var text = reader;
        using var csv = new CsvReader(reader, config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
            throw new WorkbenchInputException($"Data file '{path}' is empty; expected a header row.");
        var duplicate = header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new WorkbenchInputException($"Data file '{path}' names column '{MessageText.Clip(duplicate.Key)}' twice in its header.");

        var rows = new List<string[]>();
        var lines = new List<int>();
        while (csv.Read())
        {
            var record = csv.Parser.Record ?? [];
            if (record.Length == 1 && record[0].Length == 0) continue; // blank line
            var line = CsvLines.StartLine(csv.Parser);
            if (record.Length != header.Length)
                throw new WorkbenchInputException(
                    $"Data file '{path}', line {line}: expected {header.Length} fields as in the header, found {record.Length}.");
            rows.Add(record);
            lines.Add(line);
        }
        if (rows.Count == 0)
            throw new WorkbenchInputException($"Data file '{path}' has a header but no data rows.");
        return new TabularData(path, sha, header, rows, [.. lines]);
    }

    /// <summary>A copy whose rows are replaced (same path, hash and columns), e.g. with one column shuffled.</summary>
    internal TabularData WithRows(List<string[]> rows) => new(Path, Sha256, ColumnNames.ToArray(), rows, _lines);

    /// <summary>The line of the data file on which row <paramref name="row"/> starts (the header is line 1).</summary>
    internal int LineOf(int row) => _lines[row];

    /// <summary>The index of a column by name.</summary>
    /// <exception cref="WorkbenchInputException">No column has that name.</exception>
    public int ColumnIndex(string name)
    {
        for (var i = 0; i < ColumnNames.Count; i++)
            if (ColumnNames[i] == name) return i;
        throw new WorkbenchInputException(
            $"Column '{MessageText.Clip(name)}' does not exist in '{Path}'; its columns are: {MessageText.List(ColumnNames)}.");
    }

    /// <summary>True when a field counts as missing.</summary>
    internal static bool IsMissing(string field) =>
        field.Length == 0 || field is "NA" or "N/A" or "NaN" or "nan" or "null" or "NULL" or "?";

    /// <summary>Parses a field as a number using the invariant culture.</summary>
    internal static bool TryParseNumber(string field, out double value) =>
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
