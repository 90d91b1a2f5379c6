using MLWorkbench.Data;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests;

public class DataTests
{
    [Fact]
    public void Split_is_seeded_disjoint_and_complete()
    {
        var a = HoldoutSplit.Create(100, 0.2, 0.2, seed: 1);
        var b = HoldoutSplit.Create(100, 0.2, 0.2, seed: 1);
        var c = HoldoutSplit.Create(100, 0.2, 0.2, seed: 2);
        Assert.Equal(a.Train, b.Train);
        Assert.NotEqual(a.Train, c.Train);
        Assert.Equal((60, 20, 20), (a.Train.Length, a.Validation.Length, a.Test.Length));
        Assert.Equal(Enumerable.Range(0, 100), a.Train.Concat(a.Validation).Concat(a.Test).Order());
    }

    [Fact]
    public void Too_few_rows_to_split_is_a_clear_error()
    {
        var e = Assert.Throws<WorkbenchInputException>(() => HoldoutSplit.Create(5, 0.2, 0.2, 1));
        Assert.Contains("too few", e.Message);
    }

    [Fact]
    public void Line_numbers_count_line_breaks_inside_quoted_fields()
    {
        // Row 3 starts on line 5 because row 2's note spans two lines and a blank line follows it.
        using var dir = new TempFolder();
        var path = dir.File("notes.csv", "note,x,y\n\"plain\",1,2\n\"two\nlines\",3,4\n\n\"bad\",5,oops\n");
        var data = TabularData.LoadCsv(path);
        var e = Assert.Throws<WorkbenchInputException>(() => TabularFeaturizer.FitRegression(data, "y", [0, 1, 2]));
        Assert.Contains("line 6, column 'y'", e.Message);

        var ragged = dir.File("ragged.csv", "note,x,y\n\"two\nlines\",3,4\n\"short\",5\n");
        Assert.Contains("line 4:", Assert.Throws<WorkbenchInputException>(() => TabularData.LoadCsv(ragged)).Message);
    }

    [Fact]
    public void Ragged_row_names_the_line()
    {
        using var dir = new TempFolder();
        var path = dir.File("ragged.csv", "a,b,y\n1,2,3\n4,5\n6,7,8\n");
        var e = Assert.Throws<WorkbenchInputException>(() => TabularData.LoadCsv(path));
        Assert.Contains("line 3", e.Message);
        Assert.Contains("expected 3 fields", e.Message);
    }

    [Fact]
    public void Missing_file_and_missing_column_are_clear_errors()
    {
        using var dir = new TempFolder();
        Assert.Contains("does not exist", Assert.Throws<WorkbenchInputException>(() => TabularData.LoadCsv(Path.Combine(dir.Path, "none.csv"))).Message);
        var data = TabularData.LoadCsv(dir.File("d.csv", "a,b,y\n1,2,3\n"));
        var e = Assert.Throws<WorkbenchInputException>(() => data.ColumnIndex("price"));
        Assert.Contains("'price' does not exist", e.Message);
        Assert.Contains("a, b, y", e.Message);
    }

    [Fact]
    public void Tab_separated_and_quoted_fields_load()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(dir.File("t.tsv", "name\tx\ty\n\"Smith, J\"\t1.5\t2\nLee\t2.5\t3\n"));
        Assert.Equal(["name", "x", "y"], data.ColumnNames);
        Assert.Equal("Smith, J", data.Rows[0][0]);
        Assert.Equal(64, data.Sha256.Length);
    }

    [Fact]
    public void Featurizer_learns_from_training_rows_only_and_drops_identifiers()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(Synthetic.LinearCsv(dir.Path, rows: 60));
        var train = Enumerable.Range(0, 30).ToArray();
        var featurizer = TabularFeaturizer.FitRegression(data, "y", train);
        Assert.Contains("id", featurizer.Dropped.Keys);
        Assert.Equal(["x1", "x2", "x3", "colour=blue", "colour=green", "colour=red"], featurizer.FeatureNames);
        var matrix = featurizer.Transform(data, [0, 1, 2]);
        Assert.Equal(1f, matrix.Row(0)[5]); // row 0 is red
        Assert.Equal(1f, matrix.Row(1)[4]); // row 1 is green
    }

    [Fact]
    public void Missing_numbers_get_the_training_mean_and_an_indicator()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(dir.File("m.csv", "x,y\n1,1\n3,2\n,3\nNA,4\n"));
        var featurizer = TabularFeaturizer.FitRegression(data, "y", [0, 1, 2, 3]);
        Assert.Equal(["x", "x_missing"], featurizer.FeatureNames);
        var m = featurizer.Transform(data, [2]);
        Assert.Equal([2f, 1f], m.Row(0).ToArray());
    }

    [Fact]
    public void Non_numeric_regression_label_names_line_and_value()
    {
        using var dir = new TempFolder();
        var data = TabularData.LoadCsv(dir.File("l.csv", "x,y\n1,1\n2,high\n"));
        var e = Assert.Throws<WorkbenchInputException>(() => TabularFeaturizer.FitRegression(data, "y", [0, 1]));
        Assert.Contains("line 3", e.Message);
        Assert.Contains("'high'", e.Message);
    }

    [Fact]
    public void Column_kinds_are_inferred_and_unusable_columns_dropped_with_a_reason()
    {
        using var dir = new TempFolder();
        var text = new System.Text.StringBuilder("code,empty,flag,when,note,city,y\n");
        string[] notes = ["the quick brown fox", "jumps over the lazy dog", "a b c d e", "nothing to see here", "more words in this one"];
        for (var i = 0; i < 60; i++)
            text.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"K{i:000},,{(i % 2 == 0 ? "yes" : "no")},2024-01-{i % 28 + 1:00},{notes[i % 5]} {i},{(i % 3 == 0 ? "Oslo" : "Rome")},{i}\n");
        var data = TabularData.LoadCsv(dir.File("kinds.csv", text.ToString()));
        var f = TabularFeaturizer.Fit(data, "y", Tasks.TaskKind.Regression, Enumerable.Range(0, 60).ToArray());
        var kinds = f.Columns.ToDictionary(c => c.Name, c => c.Kind);
        Assert.Equal(ColumnKind.Ignored, kinds["code"]);   // unique per row: identifier
        Assert.Equal(ColumnKind.Ignored, kinds["empty"]);  // all missing
        Assert.Equal(ColumnKind.Boolean, kinds["flag"]);
        Assert.Equal(ColumnKind.DateTime, kinds["when"]);
        Assert.Equal(ColumnKind.Text, kinds["note"]);
        Assert.Equal(ColumnKind.Categorical, kinds["city"]);
        Assert.Contains("all values missing", f.Dropped["empty"]);
        Assert.Contains("when.month", f.FeatureNames);

        var forced = TabularFeaturizer.Fit(data, "y", Tasks.TaskKind.Regression, Enumerable.Range(0, 60).ToArray(),
            new Dictionary<string, ColumnKind> { ["city"] = ColumnKind.Ignored });
        Assert.Equal("ignored by the user", forced.Dropped["city"]);
    }
}
