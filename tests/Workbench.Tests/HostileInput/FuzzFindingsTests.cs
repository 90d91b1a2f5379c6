using MLWorkbench.Cli.Suites;

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
}
