using System.Security.Cryptography;
using MLWorkbench.AutoML;
using MLWorkbench.Tasks;
using Npgsql;

namespace MLWorkbench.Tests.AutoML;

/// <summary>Nothing shared but the database: data files, trial artifacts and the final model kept in PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public class StoredFilesTests(PostgresCluster cluster)
{
    private static TrialConfig Config(int n) => new("toy", new Dictionary<string, object> { ["x"] = (double)n });

    private static async Task<long> ScalarAsync(string connection, string sql)
    {
        await using var admin = new NpgsqlConnection(connection);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand(sql, admin);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [PostgresFact]
    public async Task Data_files_and_folders_reach_a_worker_through_the_database_checked_by_their_hash()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        var train = dir.File("train.csv", "x,y\n1,2\n3,4\n");
        // A file of more than one chunk (1 MiB), so that chunks are joined in order.
        var big = new byte[(1 << 20) * 2 + 123];
        new Random(7).NextBytes(big);
        Directory.CreateDirectory(Path.Combine(dir.Path, "images", "cat"));
        File.WriteAllBytes(Path.Combine(dir.Path, "images", "cat", "a.bin"), big);
        File.WriteAllText(Path.Combine(dir.Path, "images", "b.txt"), "b");
        using (var creator = new PostgresStudyStore(connection))
        {
            await creator.OpenAsync("s", "fp=1");
            await creator.StoreDataAsync(new Dictionary<string, string> { ["--train"] = train, ["--test"] = Path.Combine(dir.Path, "images") });
            // Stored again (a resumed creator): nothing is sent twice, the same train.csv in another study is kept once.
            await creator.StoreDataAsync(new Dictionary<string, string> { ["--train"] = train, ["--test"] = Path.Combine(dir.Path, "images") });
        }
        using (var other = new PostgresStudyStore(connection))
        {
            await other.OpenAsync("t", "fp=2");
            await other.StoreDataAsync(new Dictionary<string, string> { ["--train"] = train });
        }
        Assert.Equal(3, await ScalarAsync(connection, "SELECT count(*) FROM mlwb_blobs;"));
        Assert.Equal(3 + 1 + 1, await ScalarAsync(connection, "SELECT count(*) FROM mlwb_blob_chunks;"));

        // The worker knows only the connection string and the study's name.
        var cache = Path.Combine(dir.Path, "cache");
        using var worker = new PostgresStudyStore(connection);
        var local = await worker.MaterializeDataAsync("s", cache);
        Assert.Equal(["--test", "--train"], local.Keys.Order());
        Assert.Equal("train.csv", Path.GetFileName(local["--train"]));
        Assert.StartsWith(cache, local["--train"], StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(train), File.ReadAllText(local["--train"]));
        Assert.Equal("images", Path.GetFileName(local["--test"]));
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(local["--test"], "cat", "a.bin")));
        Assert.Equal("b", File.ReadAllText(Path.Combine(local["--test"], "b.txt")));

        // A cached file that does not match its hash (damaged, or edited) is written again.
        File.WriteAllText(local["--train"], "x,y\n9,9\n");
        Assert.Equal(local, await worker.MaterializeDataAsync("s", cache));
        Assert.Equal(File.ReadAllText(train), File.ReadAllText(local["--train"]));

        // Content damaged in the database is refused in one sentence, not handed to the search.
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(train)));
        await ScalarAsync(connection, $"UPDATE mlwb_blob_chunks SET data = convert_to('x,y 6,6', 'UTF8') WHERE sha256 = '{sha}' RETURNING 1;");
        var damaged = await Assert.ThrowsAsync<WorkbenchInputException>(() => worker.MaterializeDataAsync("s", Path.Combine(dir.Path, "cache2")));
        Assert.Contains($"The file 'train.csv' of the study 's' read from the PostgreSQL database", damaged.Message);
        Assert.Contains($"not the {sha} it was stored under: the database is damaged; create the study again.", damaged.Message);
        // The damaged file is not left in the cache, whole or in part (the test folder, whose files are intact, is).
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(dir.Path, "cache2"), "*", SearchOption.AllDirectories),
            f => f.EndsWith("train.csv", StringComparison.Ordinal) || f.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.Empty(await worker.MaterializeDataAsync("nope", cache));
    }

    [PostgresFact]
    public async Task Data_over_the_size_limit_is_refused_in_one_sentence_before_anything_is_stored()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        var train = dir.File("train.csv", new string('1', 600));
        var test = dir.File("test.csv", new string('2', 600));
        using var store = new PostgresStudyStore(connection, new PostgresStoreSettings { MaxDataBytes = 1000 });
        await store.OpenAsync("s", "fp=1");
        var error = await Assert.ThrowsAsync<WorkbenchInputException>(() =>
            store.StoreDataAsync(new Dictionary<string, string> { ["--train"] = train, ["--test"] = test }));
        Assert.Equal("The data files of the study 's' come to 1,200 bytes, more than the 1,000 bytes a study keeps in its database (PostgresStoreSettings.MaxDataBytes): " +
            "put the data where every worker reads it at the same path and create the study with --no-store-data.", error.Message);
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM mlwb_blobs;"));
        await store.StoreDataAsync(new Dictionary<string, string> { ["--train"] = train });
        Assert.Equal(1, await ScalarAsync(connection, "SELECT count(*) FROM mlwb_study_files;"));
    }

    [PostgresFact]
    public async Task A_trial_artifact_is_kept_only_under_its_lease_and_any_worker_reads_it()
    {
        var connection = await cluster.NewDatabaseAsync();
        var settings = new PostgresStoreSettings { GracePeriod = TimeSpan.FromMilliseconds(300) };
        using var a = new PostgresStudyStore(connection, settings with { Worker = "a:1" });
        using var b = new PostgresStudyStore(connection, settings with { Worker = "b:2" });
        await a.OpenAsync("s", "fp=1");
        await b.OpenAsync("s", "fp=1");
        Assert.True(((IStudyStore)a).KeepsArtifacts);
        var lease = await a.CreateTrialAsync(Config);
        byte[] content = [1, 2, 3, 4];
        Assert.True(await a.SaveArtifactAsync(lease, "validation-predictions", content));
        Assert.Equal(content, await b.LoadArtifactAsync(lease.Number, "validation-predictions"));
        Assert.Null(await b.LoadArtifactAsync(lease.Number, "other"));

        // Past the grace period the lease is gone: a late artifact is not linked, the one saved in time stays.
        await Task.Delay(600);
        Assert.False(await a.SaveArtifactAsync(lease, "validation-predictions", [9, 9]));
        Assert.Equal(content, await b.LoadArtifactAsync(lease.Number, "validation-predictions"));
        // Its new holder replaces it.
        await b.RequeueStaleAsync();
        var again = (await b.ClaimQueuedAsync())!;
        Assert.True(await b.SaveArtifactAsync(again, "validation-predictions", [5]));
        Assert.Equal([5], await a.LoadArtifactAsync(lease.Number, "validation-predictions"));
    }

    [PostgresFact]
    public async Task The_finalizer_keeps_the_final_model_in_the_database_for_any_machine()
    {
        var connection = await cluster.NewDatabaseAsync();
        using var dir = new TempFolder();
        var model = Path.Combine(dir.Path, "model.mlwb");
        File.WriteAllBytes(model, [7, 7, 7]);
        using var store = new PostgresStudyStore(connection);
        await store.OpenAsync("s", "fp=1");
        Assert.Empty(await store.WriteOutputsAsync("s", Path.Combine(dir.Path, "early")));
        Assert.True(await store.FinalizeWithOutputsAsync(_ => Task.FromResult<(string, IReadOnlyList<string>)>(("{}", [model])), TimeSpan.FromMilliseconds(100)));
        var written = Assert.Single(await store.WriteOutputsAsync("s", Path.Combine(dir.Path, "elsewhere")));
        Assert.Equal(Path.Combine(dir.Path, "elsewhere", "model.mlwb"), written);
        Assert.Equal([7, 7, 7], File.ReadAllBytes(written));
    }
}
