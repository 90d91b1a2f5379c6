using System.Globalization;
using MLWorkbench.Serving;

namespace MLWorkbench.Tests.Bundles;

/// <summary>
/// Bundles written before the namespaces moved (main at 29c7127: <c>mlwb run</c> on diabetes with sdca, wine with the
/// TorchSharp MLP, intents with ngram-sdca, on the CPU) still load and predict what that build's <c>mlwb predict</c>
/// wrote for the same rows (the <c>*.expected.csv</c> beside them). A bundle names formats, never CLR types; this holds
/// it for the tabular ML.NET, tabular TorchSharp and text ML.NET readers.
/// </summary>
public sealed class RecordedBundleTests
{
    private static string Recorded(string file) => Path.Combine(Repository.Root, "tests", "Workbench.Tests", "Bundles", "Recorded", file);

    [Theory]
    [InlineData("diabetes-sdca", "diabetes")]
    [InlineData("wine-mlp", "wine")]
    [InlineData("intents-ngram", "intents")]
    public void A_bundle_saved_before_the_moves_loads_and_predicts_as_it_did(string bundle, string rows)
    {
        using var model = new Workbench().Load(Recorded(bundle + ".mlwb"));
        var (columns, input) = Workbench.ReadCsv(Recorded(rows + ".csv"));
        var (expectedColumns, expected) = Workbench.ReadCsv(Recorded(bundle + ".expected.csv"));
        var results = model.PredictBatch(input.Select(r => (IReadOnlyDictionary<string, string?>)columns.Select((c, i) => (c, r[i]))
            .ToDictionary(p => p.c, p => (string?)p.Item2)));

        Assert.Equal(expected.Count, results.Count);
        for (var row = 0; row < expected.Count; row++)
        {
            var result = results[row];
            Assert.Null(result.Error);
            string Expected(string column) => expected[row][IndexOf(expectedColumns, column)];
            if (model.ClassNames is null)
            {
                Assert.Equal(Number(Expected("predicted")), result.Prediction!.Value!.Value, 1e-3);
                continue;
            }
            Assert.Equal(Expected("predicted"), result.Prediction!.PredictedLabel);
            foreach (var name in model.ClassNames)
                Assert.Equal(Number(Expected("probability_" + name)), result.Prediction.Probabilities![name], 1e-5);
        }
    }

    private static int IndexOf(IReadOnlyList<string> columns, string name)
    {
        var index = columns.ToList().IndexOf(name);
        Assert.True(index >= 0, $"the expected file has no column {name}");
        return index;
    }

    private static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
