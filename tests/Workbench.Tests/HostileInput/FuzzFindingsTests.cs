using MLWorkbench.Cli.Suites;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.HostileInput;

/// <summary>Inputs the fuzz tests (<see cref="FuzzTests"/>) found, kept as regular tests.</summary>
public class FuzzFindingsTests
{
    private static WorkbenchInputException ReadSuite(TempFolder dir, string yaml) =>
        Assert.Throws<WorkbenchInputException>(() => SuiteReader.Read(dir.File("suite.yaml", yaml)));

    [Fact]
    public void A_flow_mapping_followed_by_question_marks_is_a_yaml_error_not_an_invalid_operation()
    {
        // YamlDotNet 18.1's scanner threw InvalidOperationException ("Operation is not valid due to the current state of the object") here.
        using var dir = new TempFolder();
        var e = ReadSuite(dir, "name: anchors\n{base: &base { task: binary, data: d.csv, label: y }???????\nexperiments:\n  - <<: *base\n    name: -----one\n" +
            "    candidates:\n      - cnn: { max[pochs: 2, wid:::::th: 8 }\n  - { name: two, lticlass, data: \"d.csv\", lab;'y'& candidates: auto }");
        Assert.Matches(@"^Suite file '.*suite\.yaml', line \d+, column \d+: ", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_utf16_file_with_half_a_surrogate_pair_names_its_line()
    {
        // Counting the lines before the bad bytes decoded them strictly and threw DecoderFallbackException.
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "utf16.csv");
        File.WriteAllBytes(path, [0xFF, 0xFE, .. "a,y\n1,2\n"u8.ToArray().SelectMany(b => new byte[] { b, 0 }), 0x00, 0xD8, 0x41, 0x00, 0x0A, 0x00]);
        var e = Assert.Throws<WorkbenchInputException>(() => TabularData.LoadCsv(path));
        Assert.Matches(@"^Data file '.*utf16\.csv', line 3: byte 0x[0-9A-F]{2} at offset \d+ is not valid utf-16; ", e.Message);
    }

    [Fact]
    public void A_label_name_with_a_line_break_stays_on_one_line()
    {
        // A quoted header name may hold a line break; the message quoting it printed two lines.
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(dir.File("d.csv", "x,\"lab\nel\"\n1,a\n2,a\n"));
        var e = Assert.Throws<WorkbenchInputException>(() => TabularFeaturizer.Fit(data, "lab\nel", Tasks.TaskKind.BinaryClassification, [0, 1]));
        Assert.Equal($"Label column 'lab el' of '{data.Path}' has the same value 'a' in every row; there is nothing to learn.", e.Message);
    }
}
