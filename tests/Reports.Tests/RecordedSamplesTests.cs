using System.Runtime.CompilerServices;
using MLWorkbench.Results;
using Xunit;

namespace MLWorkbench.Reports.Tests;

public class RecordedSamplesTests
{
    /// <summary>Set to 1 to rewrite the recorded files in the source tree from <see cref="SampleGenerator"/>.</summary>
    private const string Regenerate = "MLWB_REGENERATE_SAMPLES";

    [Fact]
    public void Recorded_samples_are_what_the_generator_writes()
    {
        if (Environment.GetEnvironmentVariable(Regenerate) == "1")
            SampleGenerator.Write(Path.Combine(SourceFolder(), "Data"));

        // Compared by value with a tolerance: the last digit of Math.Exp may differ between machines.
        AssertClose(SampleGenerator.Classification(), Samples.Classification());
        AssertClose(SampleGenerator.AutoML(), Samples.AutoML());
    }

    private static void AssertClose(RunResults expected, RunResults actual)
    {
        Assert.Equal(expected.Suite, actual.Suite);
        Assert.Equal(expected.Experiments.Select(e => e.Name), actual.Experiments.Select(e => e.Name));
        foreach (var (e, a) in expected.Experiments.Zip(actual.Experiments))
        {
            Assert.Equal(e.Best, a.Best);
            Assert.Equal(e.Trials.Select(t => (t.Candidate, t.Status)), a.Trials.Select(t => (t.Candidate, t.Status)));
            Close(e.TestLabels, a.TestLabels);
            foreach (var (et, at) in e.Trials.Append(e.AutoML?.Final).Zip(a.Trials.Append(a.AutoML?.Final)))
            {
                if (et is null || at is null) { Assert.Equal(et is null, at is null); continue; }
                Assert.Equal(et.Metrics.Test.Keys.Order(), at.Metrics.Test.Keys.Order());
                foreach (var key in et.Metrics.Test.Keys) Close([et.Metrics.Test[key]], [at.Metrics.Test[key]]);
                foreach (var key in et.Metrics.Validation.Keys) Close([et.Metrics.Validation[key]], [at.Metrics.Validation[key]]);
                Close(et.TestPredictions, at.TestPredictions);
                Close(et.TestScores, at.TestScores);
            }
        }
    }

    private static void Close(List<double>? expected, List<double>? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is null || actual is null) return;
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])),
                $"recorded {actual[i]} differs from generated {expected[i]}; run the tests with {Regenerate}=1 to rewrite the files");
    }

    private static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
