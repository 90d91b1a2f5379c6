using System.Text.RegularExpressions;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// Keeps a CSV field from running as a formula when the file is opened in a spreadsheet (CSV injection; OWASP's advice):
/// a field that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return gets a leading
/// <c>'</c>, which spreadsheets show as text and do not evaluate. A plain number such as <c>-1.5</c> or <c>+2E-05</c>
/// is left as it is, so numeric columns stay numbers. (CsvHelper's own <c>InjectionOptions.Escape</c> would also
/// prefix every negative number, which would turn a regression model's predictions into text.)
/// </summary>
internal static partial class SpreadsheetSafeField
{
    /// <summary><paramref name="field"/>, or <c>'</c> + <paramref name="field"/> when a spreadsheet would read it as a formula.</summary>
    public static string Neutralise(string? field)
    {
        if (string.IsNullOrEmpty(field)) return field ?? "";
        return field[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !PlainNumber().IsMatch(field) ? "'" + field : field;
    }

    // Invariant-culture decimal or scientific notation only: nothing a spreadsheet could take for a formula.
    [GeneratedRegex(@"\A[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex PlainNumber();
}
