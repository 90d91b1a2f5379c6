using System.CommandLine;
using System.Text;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli.Commands;

/// <summary><c>--encoding NAME</c>, the same for every command that reads a user's data file.</summary>
internal static class EncodingOption
{
    public static Option<string?> Create() => new("--encoding")
    {
        Description = $"Encoding of the data files when they are not UTF-8 ({DataFileText.EncodingExamples}, …). Without it a file that is not UTF-8 is refused at its first invalid byte.",
    };

    /// <summary>Null (UTF-8) when the option is absent.</summary>
    /// <exception cref="WorkbenchInputException">No encoding has that name.</exception>
    public static Encoding? Parse(string? name) => name is null ? null : DataFileText.ParseEncoding(name);
}
