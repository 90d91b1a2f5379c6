using System.Diagnostics;
using System.Text;
using MLWorkbench.Data;
using Xunit.Abstractions;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.HostileInput;

/// <summary>The input probes of issue 16: files that are wrong on purpose or by accident get one sentence and exit code 2, quickly.</summary>
public class HostileInputTests(ITestOutputHelper log)
{

    /// <summary>"city,y\nSão Paulo,1\n…" as Latin-1: 'ã' is the single byte 0xE3.</summary>
    private static string Latin1Csv(TempFolder dir, string name = "cities.csv")
    {
        var text = "city,x,y\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"{(i % 2 == 0 ? "São Paulo" : "Lima")},{i},{i * 2}\n"));
        var path = Path.Combine(dir.Path, name);
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(text));
        return path;
    }

    [Fact]
    public void A_latin1_csv_is_refused_with_line_and_byte_offset()
    {
        using var dir = new TempFolder();
        var path = Latin1Csv(dir);
        var e = Assert.Throws<WorkbenchInputException>(() => TabularData.LoadCsv(path));
        // "city,x,y\n" is 9 bytes, "S" 1 more: the 0xE3 of "São" is byte 10 of line 2.
        Assert.Equal(
            $"Data file '{path}', line 2: byte 0xE3 at offset 10 is not valid UTF-8; save the file as UTF-8, or name its encoding with --encoding (e.g. --encoding latin1 or windows-1252; 'encoding:' in a suite).",
            e.Message);
    }

    [Fact]
    public async Task A_wrong_label_on_a_wide_file_prints_a_short_sentence()
    {
        using var dir = new TempFolder();
        var header = string.Join(',', Enumerable.Range(0, 10_000).Select(i => $"column{i}"));
        var path = dir.File("wide.csv", header + "\n" + string.Join(',', Enumerable.Repeat("1", 10_000)) + "\n");
        var (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", path, "--label", "price", "--trials", "1",
            "--out", Path.Combine(dir.Path, "out"));
        Assert.Equal(2, code);
        Assert.Equal(
            $"Column 'price' does not exist in '{path}'; its columns are: column0, column1, column2, column3, column4, column5, column6, column7, column8, column9 … and 9,990 more.",
            error.Trim());
    }

    [Fact]
    public async Task A_suite_nested_100000_levels_deep_is_refused_in_milliseconds()
    {
        using var dir = new TempFolder();
        var suite = dir.File("deep.yaml", "name: deep\nexperiments: " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        var clock = Stopwatch.StartNew();
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite, "--dry-run");
        clock.Stop();
        Assert.Equal(2, code);
        Assert.StartsWith($"Suite file '{suite}', line 2, column ", error);
        log.WriteLine($"depth bomb refused in {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Contains("nested more than 64 levels deep", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(clock.ElapsedMilliseconds < 1000, $"{clock.ElapsedMilliseconds} ms");
    }

    /// <summary>Nine levels of ten aliases each expand to 10^9 nodes; as a mapping key every one is hashed.</summary>
    private static string AliasBomb() =>
        """
        name: bomb
        a: &a ["x","x","x","x","x","x","x","x","x","x"]
        b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
        c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
        d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
        e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
        f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
        g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
        h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
        i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
        ? *i
        : 1
        experiments: []

        """;

    [Fact]
    public async Task A_yaml_alias_bomb_used_as_a_mapping_key_is_refused_in_milliseconds()
    {
        using var dir = new TempFolder();
        var suite = dir.File("bomb.yaml", AliasBomb());
        var clock = Stopwatch.StartNew();
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite, "--dry-run");
        clock.Stop();
        Assert.Equal(2, code);
        Assert.StartsWith($"Suite file '{suite}', line ", error);
        log.WriteLine($"alias bomb refused in {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Contains("the suite has more than 100,000 nodes once its aliases are expanded", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(clock.ElapsedMilliseconds < 1000, $"{clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task An_alias_bomb_of_one_long_value_is_refused_in_milliseconds()
    {
        // Few nodes, but each key hash walks 100,000 copies of a 500,000-character value.
        using var dir = new TempFolder();
        var suite = dir.File("long.yaml", $"""
            name: long
            a: &a "{new string('x', 500_000)}"
            b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
            c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
            d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
            ? *d
            : 1
            experiments: []

            """);
        var clock = Stopwatch.StartNew();
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite, "--dry-run");
        clock.Stop();
        Assert.Equal(2, code);
        Assert.StartsWith($"Suite file '{suite}', line 3, column ", error);
        Assert.Contains("the suite has more than 2,097,152 characters of values once its aliases are expanded", error);
        Assert.True(clock.ElapsedMilliseconds < 1000, $"{clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_suite_over_a_mebibyte_is_refused_before_it_is_parsed()
    {
        using var dir = new TempFolder();
        var suite = dir.File("big.yaml", "name: big\n# " + new string('x', 1 << 20) + "\nexperiments: []\n");
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite, "--dry-run");
        Assert.Equal(2, code);
        Assert.Equal($"Suite file '{suite}' is 1,048,605 bytes; a suite may be at most 1,048,576 bytes.", error.Trim());
    }

    [Fact]
    public async Task An_alias_inside_its_own_anchor_is_refused()
    {
        using var dir = new TempFolder();
        var suite = dir.File("loop.yaml", "name: loop\nexperiments: &e [*e]\n");
        var (code, _, error) = await MlwbCommand.RunAsync("run", suite, "--dry-run");
        Assert.Equal(2, code);
        Assert.Contains("line 2, column ", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_device_named_as_a_data_file_is_refused_instead_of_read_forever()
    {
        if (!OperatingSystem.IsLinux()) return;
        var e = Assert.Throws<WorkbenchInputException>(() => TabularData.LoadCsv("/dev/zero"));
        Assert.Equal("Data file '/dev/zero' is not a regular file (or it grew while it was read); give a file saved on disk.", e.Message);
    }
}
