using MLWorkbench.Cli.Commands;

namespace MLWorkbench.Tests;

/// <summary>
/// A run writes inside its output folder: the index of runs only where the user asked for it (or into a <c>reports</c>
/// folder above the output), never over a page MLWorkbench did not write; temporary files left by a killed run are
/// cleaned by the next one.
/// </summary>
public class OutputFolderTests
{
    [Fact]
    public async Task A_run_with_out_out_leaves_the_users_index_page_above_it_alone()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 80);
        var mine = Path.Combine(dir.Path, "index.html");
        await File.WriteAllTextAsync(mine, "<html>my own page</html>");

        var (code, _, error) = await MlwbCommand.RunAsync("automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "1", "--folds", "2",
            "--trainers", "sdca", "--out", Path.Combine(dir.Path, "out"), "--column", "id=ignore");

        Assert.True(code == 0, error);
        Assert.Equal("<html>my own page</html>", await File.ReadAllTextAsync(mine));
        Assert.True(File.Exists(Path.Combine(dir.Path, "out", "index.html")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task The_index_of_runs_goes_where_index_points_and_never_over_a_foreign_page()
    {
        using var dir = new TempFolder();
        var data = Synthetic.LinearCsv(dir.Path, 80);
        var runs = Directory.CreateDirectory(Path.Combine(dir.Path, "runs")).FullName;
        string[] args = ["automl", "--task", "regression", "--train", data, "--label", "y", "--trials", "1", "--folds", "2",
            "--trainers", "sdca", "--out", Path.Combine(runs, "first"), "--column", "id=ignore", "--index", runs];

        var (code, output, error) = await MlwbCommand.RunAsync(args);
        Assert.True(code == 0, error);
        Assert.Contains("MLWorkbench reports", await File.ReadAllTextAsync(Path.Combine(runs, "index.html")));
        Assert.Contains("Index of runs:", output);

        await File.WriteAllTextAsync(Path.Combine(runs, "index.html"), "someone else's page");
        (code, _, error) = await MlwbCommand.RunAsync(args);
        Assert.True(code == 0, error);
        Assert.Equal("someone else's page", await File.ReadAllTextAsync(Path.Combine(runs, "index.html")));
        Assert.Contains("was not written by MLWorkbench", error);
    }

    [Fact]
    public void The_default_index_folder_is_a_reports_folder_above_the_output_and_nothing_else()
    {
        var root = Path.Combine(Path.GetTempPath(), "somewhere");
        Assert.Equal(Path.Combine(root, "reports"), RunOutput.IndexFolder(Path.Combine(root, "reports", "quickstart"), null));
        Assert.Null(RunOutput.IndexFolder(Path.Combine(root, "out"), null));
        Assert.Null(RunOutput.IndexFolder(Path.Combine(root, "my-reports", "run"), null));
        Assert.Equal(Path.Combine(root, "x"), RunOutput.IndexFolder(Path.Combine(root, "out"), new DirectoryInfo(Path.Combine(root, "x"))));
    }

    [Fact]
    public void Temporary_files_of_a_killed_run_are_cleaned_and_a_live_writers_are_kept()
    {
        using var dir = new TempFolder();
        var old = DateTime.UtcNow.AddHours(-1);
        string[] stale = ["results.json.tmp", $"results.json.{Guid.NewGuid():N}.tmp", $"model.mlwb.{Guid.NewGuid():N}.tmp", $".index.html.{Guid.NewGuid():N}.tmp"];
        foreach (var name in stale)
        {
            File.WriteAllText(Path.Combine(dir.Path, name), "half");
            File.SetLastWriteTimeUtc(Path.Combine(dir.Path, name), old);
        }
        var live = Path.Combine(dir.Path, $"results.json.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(live, "being written");
        var users = Path.Combine(dir.Path, "notes.tmp");
        File.WriteAllText(users, "not ours");
        File.SetLastWriteTimeUtc(users, old);

        RunOutput.CleanStaleTemporaryFiles(dir.Path);

        Assert.All(stale, name => Assert.False(File.Exists(Path.Combine(dir.Path, name)), name));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(users));
    }
}
