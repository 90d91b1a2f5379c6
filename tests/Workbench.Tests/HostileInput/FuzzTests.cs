using System.Diagnostics;
using System.Text;
using CsCheck;
using MLWorkbench.Cli.Suites;
using MLWorkbench.Data;
using MLWorkbench.Similarity;
using MLWorkbench.Tasks;
using MLWorkbench.TextClassification;

namespace MLWorkbench.Tests.HostileInput;

/// <summary>
/// Property-based fuzzing (CsCheck) of the readers that take a user's files: random and mutated inputs end in a value or
/// in the project's own input exception, never in another exception, a crash or a hang. Seeds are fixed so a run is
/// repeatable in CI; every finding is also a regular test in <see cref="FuzzFindingsTests"/>.
/// </summary>
public class FuzzTests
{
    /// <summary>One input may take this long; a hang fails the property instead of the test run.</summary>
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(10);

    /// <summary>Inputs per property; MLWB_FUZZ_ITERATIONS raises it for a longer hunt (and MLWB_FUZZ_SEED changes the inputs).</summary>
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("MLWB_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 1500;

    private static readonly string Seed = Environment.GetEnvironmentVariable("MLWB_FUZZ_SEED") is { Length: > 0 } s ? s : "0N0XIzNsQ0O2";

    /// <summary>Bytes that matter to a CSV or YAML reader, chosen more often than the other 250.</summary>
    private static readonly byte[] Interesting = [(byte)',', (byte)'"', (byte)'\n', (byte)'\r', (byte)'\t', (byte)';', (byte)' ', 0, 0xE3, 0xC3, 0xEF, 0xBB, 0xBF, 0xFF, 0xFE,
        (byte)':', (byte)'-', (byte)'[', (byte)'{', (byte)'&', (byte)'*', (byte)'!', (byte)'#', (byte)'|', (byte)'>', (byte)'?', (byte)'%', (byte)'\''];

    private static readonly Gen<byte> AnyByte = Gen.Frequency((3, Gen.OneOf(Interesting)), (1, Gen.Byte));

    private static readonly string[] Csvs =
    [
        "x,y,label\n1,2,a\n3,4,b\n5,6,a\n7,8,b\n",
        "name\tprice\tcity\tlabel\n\"Smith, J\"\t1.5\tSão Paulo\tyes\nLee\t2.5\tLima\tno\nKim\t\t\"Oslo\"\"s\"\tyes\n",
        "text,label\n\"hello, world\",a\n\"multi\nline\",b\nplain,a\n,b\n",
        "sentence1,sentence2,score\nA dog runs.,A dog is running.,4.5\nA cat.,A car.,0.5\nTwo men.,Two people.,3\n",
        "day;amount;flag;label\n2024-01-01;1e3;true;x\n2024-02-30;-1;no;y\n;NaN;maybe;x\n",
    ];

    /// <summary>Edits applied to a seed file: overwrite, insert or delete at a position.</summary>
    private static readonly Gen<(int Kind, int Position, byte Value, int Length)> Edit =
        Gen.Select(Gen.Int[0, 2], Gen.Int[0, 1 << 16], AnyByte, Gen.Int[1, 8]);

    /// <summary>Applies overwrite (0), insert (1) and delete (2) edits to a copy of <paramref name="seed"/>.</summary>
    internal static byte[] Mutate(byte[] seed, (int Kind, int Position, byte Value, int Length)[] edits)
    {
        var bytes = new List<byte>(seed);
        foreach (var (kind, position, value, length) in edits)
        {
            var at = bytes.Count == 0 ? 0 : position % (bytes.Count + 1);
            switch (kind)
            {
                case 0 when at < bytes.Count: bytes[at] = value; break;
                case 1: bytes.InsertRange(at, Enumerable.Repeat(value, length)); break;
                default: bytes.RemoveRange(Math.Min(at, bytes.Count), Math.Min(length, bytes.Count - Math.Min(at, bytes.Count))); break;
            }
        }
        return [.. bytes];
    }

    private static Gen<byte[]> Files(string[] seeds) => Gen.Frequency(
        (1, AnyByte.Array[0, 300]),
        (3, Gen.Select(Gen.Int[0, seeds.Length - 1], Edit.Array[1, 12], (s, e) => Mutate(Encoding.UTF8.GetBytes(seeds[s]), e))));

    /// <summary>Runs <paramref name="read"/> on the bytes as a file; only <see cref="WorkbenchInputException"/> may escape, within <see cref="PerInput"/>.</summary>
    private static void Within(byte[] bytes, string extension, Action<string> read)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlwb-fuzz-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        try
        {
            var work = Task.Run(() =>
            {
                try { read(path); }
                catch (WorkbenchInputException e) when (e.Message.Length < 2000 && !e.Message.Contains('\n')) { }
            });
            if (!work.Wait(PerInput)) throw new TimeoutException($"Reading {bytes.Length} bytes took more than {PerInput.TotalSeconds} s.");
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Csv_readers_refuse_bad_files_only_with_an_input_error()
    {
        TaskKind[] tasks = [TaskKind.Regression, TaskKind.BinaryClassification, TaskKind.MulticlassClassification];
        Gen.Select(Files(Csvs), Gen.Int[0, tasks.Length - 1]).Sample((bytes, task) => Within(bytes, ".csv", path =>
        {
            var data = TabularData.LoadCsv(path);
            // Typing and featurizing is where a field's content is interpreted: numbers, dates, booleans, classes.
            var label = data.ColumnNames[^1];
            var rows = Enumerable.Range(0, data.Rows.Count).ToArray();
            TabularFeaturizer.Fit(data, label, tasks[task], rows).Transform(data, rows);
        }), seed: Seed, iter: Iterations, threads: 2, print: p => Show(p.Item1) + $" as {tasks[p.Item2]}");
        Files(Csvs).Sample(bytes => Within(bytes, ".csv", path => TextDataset.Load(path, "text", "label")), seed: Seed, iter: Iterations / 2, threads: 2, print: Show);
        Files(Csvs).Sample(bytes => Within(bytes, ".tsv", path => SentencePairFile.Load(path)), seed: Seed, iter: Iterations / 2, threads: 2, print: Show);
    }

    private static readonly string[] Suites =
    [
        """
        name: s
        seed: 3
        output: out
        encoding: latin1
        experiments:
          - name: a
            task: regression
            data: d.csv
            label: y
            candidates: [sdca, lightgbm]
            split: { validation: 0.2, test: 0.2 }
          - name: b
            task: text-classification
            data: t.csv
            text: text
            label: label
            automl: { budget: 5, tuner: tpe }
        """,
        """
        name: anchors
        base: &base { task: binary, data: d.csv, label: y }
        experiments:
          - <<: *base
            name: one
            candidates:
              - cnn: { maxEpochs: 2, width: 8 }
          - { name: two, task: multiclass, data: "d.csv", label: 'y', candidates: auto }
        """,
    ];

    [Fact]
    public void The_suite_reader_refuses_bad_files_only_with_an_input_error()
    {
        Files(Suites).Sample(bytes => Within(bytes, ".yaml", path => SuiteReader.Read(path)), seed: Seed, iter: Iterations, threads: 2, print: Show);
        // Random nesting and aliases, the two ways YAML multiplies work.
        var structure = Gen.OneOf("[", "]", "{", "}", "- ", ": ", ",", "&a ", "*a", "&b ", "*b", "? ", "\n", "  ", "x", "'", "\"", "!!map ", "<<: ");
        structure.Array[0, 400].Select(parts => Encoding.UTF8.GetBytes("name: s\nexperiments: " + string.Concat(parts)))
            .Sample(bytes => Within(bytes, ".yaml", path => SuiteReader.Read(path)), seed: Seed, iter: Iterations, threads: 2, print: Show);
    }

    private static string Show(byte[] bytes) => Convert.ToBase64String(bytes) + " = " + Encoding.UTF8.GetString(bytes).ReplaceLineEndings("⏎");
}
