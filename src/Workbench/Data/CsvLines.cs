using CsvHelper;

namespace MLWorkbench.Data;

/// <summary>Line numbers of CSV records as a user counts them in an editor.</summary>
internal static class CsvLines
{
    /// <summary>
    /// The line on which the parser's current record starts. CsvHelper's <c>RawRow</c> is the line where the record
    /// ends, which is later than its start when a quoted field holds line breaks.
    /// </summary>
    public static int StartLine(IParser parser)
    {
        var raw = parser.RawRecord.AsSpan().TrimEnd("\r\n");
        return parser.RawRow - raw.Count('\n');
    }
}
