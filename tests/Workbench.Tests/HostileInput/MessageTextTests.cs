using MLWorkbench.Cli.Commands;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.HostileInput;

public class MessageTextTests
{
    [Fact]
    public void Lists_show_the_first_names_and_count_the_rest()
    {
        Assert.Equal("a, b", MessageText.List(["a", "b"]));
        Assert.Equal("c0, c1, c2 … and 1,997 more", MessageText.List(Enumerable.Range(0, 2000).Select(i => $"c{i}"), 3));
        Assert.Equal(string.Join(", ", Enumerable.Range(0, 10)), MessageText.List(Enumerable.Range(0, 10).Select(i => $"{i}")));
    }

    [Fact]
    public void Long_values_are_clipped_to_one_line()
    {
        Assert.Equal("short", MessageText.Clip("short"));
        Assert.Equal(new string('x', 79) + "…", MessageText.Clip(new string('x', 1_000_000)));
        Assert.Equal("a b", MessageText.Clip("a\nb"));
        // A surrogate pair is never cut in half.
        var clipped = MessageText.Clip(new string('x', 78) + "😀😀", 80);
        Assert.Equal(new string('x', 78) + "…", clipped);
    }

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1", "'\t=1")]
    [InlineData("\r=1", "'\r=1")]
    [InlineData("-", "'-")]
    [InlineData("-1.5", "-1.5")]
    [InlineData("+2E-05", "+2E-05")]
    [InlineData("-.5", "-.5")]
    [InlineData("-1.5e3", "-1.5e3")]
    [InlineData("-1.5 ", "'-1.5 ")]
    [InlineData("-Infinity", "'-Infinity")]
    [InlineData("plain", "plain")]
    [InlineData("a=1", "a=1")]
    [InlineData("", "")]
    public void Spreadsheet_formulas_are_neutralised_and_numbers_kept(string field, string written) =>
        Assert.Equal(written, SpreadsheetSafeField.Neutralise(field));
}
