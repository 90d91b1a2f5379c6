using System.Globalization;

namespace MLWorkbench.Tasks;

/// <summary>
/// Keeps a message that quotes the user's names and values to one readable sentence: a file with 10,000 columns, or a
/// field of a megabyte, must not turn "column 'price' does not exist" into 69 KB of text.
/// </summary>
public static class MessageText
{
    /// <summary>How many names <see cref="List"/> shows by default.</summary>
    public const int ListedNames = 10;

    /// <summary>How many characters of one name or value <see cref="Clip"/> keeps by default.</summary>
    public const int ClippedCharacters = 80;

    /// <summary>
    /// <paramref name="names"/> joined with ", ", at most <paramref name="shown"/> of them, then <c>… and 9,990 more</c>;
    /// each name clipped by <see cref="Clip"/>.
    /// </summary>
    public static string List(IEnumerable<string> names, int shown = ListedNames)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentOutOfRangeException.ThrowIfLessThan(shown, 1);
        var all = names as IReadOnlyCollection<string> ?? names.ToList();
        var listed = string.Join(", ", all.Take(shown).Select(n => Clip(n)));
        var more = all.Count - shown;
        return more > 0 ? listed + string.Create(CultureInfo.InvariantCulture, $" … and {more:N0} more") : listed;
    }

    /// <summary>
    /// <paramref name="value"/> cut to <paramref name="maxCharacters"/> characters with "…" (whole surrogate pairs), and
    /// line breaks shown as spaces, so that a quoted value keeps the message on one line.
    /// </summary>
    public static string Clip(string? value, int maxCharacters = ClippedCharacters)
    {
        if (value is null) return "";
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCharacters, 2);
        var cut = value.Length > maxCharacters ? maxCharacters - 1 : value.Length;
        if (cut < value.Length && char.IsHighSurrogate(value[cut - 1])) cut--;
        var text = value[..cut].ReplaceLineEndings(" ");
        return cut < value.Length ? text + "…" : text;
    }

    /// <summary>An exception's message on one line, at most 200 characters (a type initializer's cause, not its wrapper).</summary>
    public static string OneLine(Exception e)
    {
        var inner = e is TypeInitializationException { InnerException: { } i } ? i : e;
        var text = inner.Message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    /// <summary>One line naming the exception and its innermost cause, cut to a readable length.</summary>
    public static string Failure(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
        var text = inner == e ? $"{e.GetType().Name}: {FirstLine(e.Message)}"
            : $"{e.GetType().Name}: {FirstLine(e.Message)} ({inner.GetType().Name}: {FirstLine(inner.Message)})";
        return text.Length <= 400 ? text : text[..399] + "…";
    }
}
