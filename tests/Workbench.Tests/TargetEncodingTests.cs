using System.Globalization;
using System.Text;
using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests;

/// <summary>Categorical columns of many values: target encoded, out of fold for the featurizer's own training rows.</summary>
public class TargetEncodingTests
{
    // 200 categories ("u0".."u199") of 4 rows each; a category's effect is its number's parity (±1), plus noise.
    private static (string Csv, double[] Noise) Effects(int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("user,x,y\n");
        var noise = new double[800];
        for (var r = 0; r < 800; r++)
        {
            var user = r % 200;
            noise[r] = random.NextDouble() * 2 - 1;
            text.Append(CultureInfo.InvariantCulture, $"u{user},{random.Next(10)},{(user % 2 == 0 ? 1 : -1) + noise[r]:0.####}\n");
        }
        return (text.ToString(), noise);
    }

    [Fact]
    public void Many_categories_become_a_shrunk_mean_and_a_count_and_unseen_ones_the_training_mean()
    {
        using var dir = new TempFolder();
        var path = dir.File("users.csv", Effects(1).Csv);
        var data = TabularData.LoadCsv(path);
        var rows = Enumerable.Range(0, 800).ToArray();
        var featurizer = TabularFeaturizer.FitRegression(data, "y", rows);
        Assert.Equal(["user.mean", "user.count", "x"], featurizer.FeatureNames);
        var decision = featurizer.Columns.Single(c => c.Name == "user");
        Assert.Equal(ColumnKind.Categorical, decision.Kind);
        Assert.Contains("200 categories, target encoded", decision.Reason);

        // Served rows (another copy of the data) see every training row: an even user's mean is near +1, shrunk towards
        // the overall mean (about 0), never past its own rows' mean.
        var served = TabularData.LoadCsv(path);
        var matrix = featurizer.Transform(served, [0, 1]);
        var own0 = rows.Where(r => r % 200 == 0).Average(r => double.Parse(served.Rows[r][2], CultureInfo.InvariantCulture));
        Assert.InRange((double)matrix.Row(0)[0], 0.5, own0);
        Assert.InRange((double)matrix.Row(1)[0], -1.5, -0.5);
        Assert.Equal(4f, matrix.Row(0)[1]);

        // An unseen or missing user: the training mean and a count of 0.
        var other = TabularData.LoadCsv(dir.File("new.csv", "user,x,y\nstranger,3,0\n,3,0\n"));
        var unseen = featurizer.Transform(other, [0, 1]);
        var mean = rows.Average(r => double.Parse(served.Rows[r][2], CultureInfo.InvariantCulture));
        Assert.Equal(mean, unseen.Row(0)[0], 4);
        Assert.Equal(0f, unseen.Row(0)[1]);
        Assert.Equal(unseen.Row(0).ToArray(), unseen.Row(1).ToArray());
    }

    [Fact]
    public void Training_rows_are_encoded_without_their_own_labels()
    {
        using var dir = new TempFolder();
        var (csv, noise) = Effects(2);
        var path = dir.File("users.csv", csv);
        var data = TabularData.LoadCsv(path);
        var rows = Enumerable.Range(0, 800).ToArray();
        var featurizer = TabularFeaturizer.FitRegression(data, "y", rows);
        double[] Encoding(FeatureMatrix m) => [.. Enumerable.Range(0, m.Rows).Select(i => (double)m.Row(i)[0])];

        // A row's own noise leaks into its category's mean when that mean counts the row (a quarter of its category's
        // rows): the model would learn to trust the encoding more than it deserves. Out of fold, it does not.
        var outOfFold = Correlation(Residual(Encoding(featurizer.Transform(data, rows))), noise);
        var inSample = Correlation(Residual(Encoding(featurizer.Transform(TabularData.LoadCsv(path), rows))), noise);
        Assert.InRange(outOfFold, -0.1, 0.1);
        Assert.True(inSample > 0.2, $"in-sample encodings should carry the row's own noise (correlation {inSample:0.###})");

        // Rows the featurizer was not fit on (validation rows of the same data) get every training row's statistics.
        var half = TabularFeaturizer.FitRegression(data, "y", rows[..400]);
        Assert.Equal(Encoding(half.Transform(TabularData.LoadCsv(path), rows[400..])), Encoding(half.Transform(data, rows[400..])));
    }

    [Fact]
    public void Classifiers_get_one_share_per_class_and_binary_tasks_one()
    {
        using var dir = new TempFolder();
        var text = new StringBuilder("shop,colour\n");
        string[] colours = ["red", "green", "blue"];
        for (var r = 0; r < 600; r++) text.Append(CultureInfo.InvariantCulture, $"s{r % 120},{colours[(r % 120) % 3]}\n");
        var data = TabularData.LoadCsv(dir.File("shops.csv", text.ToString()));
        var rows = Enumerable.Range(0, 600).ToArray();
        var multi = TabularFeaturizer.Fit(data, "colour", TaskKind.MulticlassClassification, rows);
        Assert.Equal(["shop.p[blue]", "shop.p[green]", "shop.p[red]", "shop.count"], multi.FeatureNames);
        var m = multi.Transform(TabularData.LoadCsv(data.Path), [0]); // shop s0 is always red
        Assert.True(m.Row(0)[2] > 0.9f && m.Row(0)[0] < 0.05f, string.Join(' ', m.Row(0).ToArray()));

        var twoText = new StringBuilder("shop,late\n");
        for (var r = 0; r < 600; r++) twoText.Append(CultureInfo.InvariantCulture, $"s{r % 120},{(r % 120 < 60 ? "yes" : "no")}\n");
        var two = TabularData.LoadCsv(dir.File("late.csv", twoText.ToString()));
        var binary = TabularFeaturizer.Fit(two, "late", TaskKind.BinaryClassification, rows);
        Assert.Equal(["shop.p[yes]", "shop.count"], binary.FeatureNames);
    }

    [Fact]
    public void A_target_encoder_survives_its_state_and_a_damaged_one_is_refused()
    {
        using var dir = new TempFolder();
        var path = dir.File("users.csv", Effects(3).Csv);
        var data = TabularData.LoadCsv(path);
        var featurizer = TabularFeaturizer.FitRegression(data, "y", Enumerable.Range(0, 800).ToArray());
        var state = featurizer.ToState();
        var restored = TabularFeaturizer.FromState(state);
        var served = TabularData.LoadCsv(path);
        Assert.Equal(featurizer.Transform(served, [0, 7, 13]).Row(2).ToArray(), restored.Transform(served, [0, 7, 13]).Row(2).ToArray());

        var damaged = state with { Encoders = [.. state.Encoders.Select(e => e.Type == "target" ? e with { Prior = [] } : e)] };
        Assert.Contains("target encoding of column 'user'", Assert.Throws<InvalidDataException>(() => TabularFeaturizer.FromState(damaged)).Message);
    }

    // The encoding minus each row's true category effect (±1).
    private static double[] Residual(double[] encoding) => [.. encoding.Select((e, r) => e - ((r % 200) % 2 == 0 ? 1 : -1))];

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = 0, va = 0, vb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            cov += (a[i] - ma) * (b[i] - mb);
            va += (a[i] - ma) * (a[i] - ma);
            vb += (b[i] - mb) * (b[i] - mb);
        }
        return cov / Math.Sqrt(va * vb);
    }
}
