using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>
/// Files in the database, so that a worker on another machine needs only the connection string: the study's data files
/// (stored by its creator, materialized by each worker into a local cache and checked against their SHA-256), the
/// artifacts of trials (what the finalizer needs of a trial another worker ran) and the study's outputs (the final
/// model). Every file is a blob named by the SHA-256 of its content, kept in chunks of <see cref="ChunkBytes"/> of
/// <c>bytea</c>: the same file stored twice (a resumed creator, two studies on one data set) is kept once, and a chunk
/// stays far below PostgreSQL's 1 GB limit of one value.
/// </summary>
public sealed partial class PostgresStudyStore
{
    private const int ChunkBytes = 1 << 20;

    // The role of the study's outputs (the final model) among its files; data files are named by the option that gave them.
    private const string OutputRole = "output";

    /// <summary>
    /// Keeps the open study's data files in the database: each of <paramref name="files"/> maps the option that names it
    /// (e.g. <c>--train</c>) to a file or a folder (every file under it, e.g. an image folder). Files already stored (by
    /// content) are not sent again, so a resumed creator only hashes them. Workers get them with
    /// <see cref="MaterializeDataAsync"/>.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The files together exceed <see cref="PostgresStoreSettings.MaxDataBytes"/>, or one cannot be read.</exception>
    public async Task StoreDataAsync(IReadOnlyDictionary<string, string> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (_studyId is null) throw new InvalidOperationException($"No study is open in {_where}: call {nameof(OpenAsync)} first.");
        var entries = new List<(string Role, string Path, string Full, long Size)>();
        foreach (var (role, path) in files)
        {
            if (OutputRole.Equals(role, StringComparison.Ordinal)) throw new ArgumentException($"'{OutputRole}' is the role of the study's outputs.", nameof(files));
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                var name = Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
                foreach (var file in Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                    entries.Add((role, name + "/" + Path.GetRelativePath(full, file).Replace(Path.DirectorySeparatorChar, '/'), file, new FileInfo(file).Length));
            }
            else if (File.Exists(full)) entries.Add((role, Path.GetFileName(full), full, new FileInfo(full).Length));
            else throw new WorkbenchInputException($"The data file '{full}' ({role}) does not exist, so the study cannot keep it in its database.");
        }
        var total = entries.Sum(e => e.Size);
        if (total > _settings.MaxDataBytes)
            throw new WorkbenchInputException(
                $"The data files of the study '{_studyName}' come to {total:N0} bytes, more than the {_settings.MaxDataBytes:N0} bytes a study keeps in its database " +
                "(PostgresStoreSettings.MaxDataBytes): put the data where every worker reads it at the same path and create the study with --no-store-data.");
        var stored = new List<(string Role, string Path, string Sha256, long Size)>();
        foreach (var entry in entries)
        {
            string sha;
            await using (var stream = File.OpenRead(entry.Full))
                sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            await UploadAsync(sha, entry.Size, () => File.OpenRead(entry.Full), entry.Full, cancellationToken).ConfigureAwait(false);
            stored.Add((entry.Role, entry.Path, sha, entry.Size));
        }
        await LinkAsync(files.Keys, stored, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the data files that the study called <paramref name="study"/> keeps in the database into
    /// <paramref name="cacheFolder"/> (a file already there with the right SHA-256 is kept; one that differs is written
    /// again) and returns, for each option that named data (e.g. <c>--train</c>), the local path to use in its place: the
    /// file, or the folder. Empty when the study keeps no data files (it was created with them on shared storage).
    /// </summary>
    /// <exception cref="WorkbenchInputException">A file read from the database does not have the SHA-256 it was stored under.</exception>
    public Task<IReadOnlyDictionary<string, string>> MaterializeDataAsync(string study, string cacheFolder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(study);
        ArgumentException.ThrowIfNullOrEmpty(cacheFolder);
        return MaterializeAsync(study, cacheFolder, data: true, cancellationToken);
    }

    /// <summary>
    /// Writes the outputs that the finalizer of the study called <paramref name="study"/> kept in the database (the final
    /// model, <c>model.mlwb</c>) into <paramref name="folder"/>; returns their paths (empty when there are none yet).
    /// </summary>
    public async Task<IReadOnlyList<string>> WriteOutputsAsync(string study, string folder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(study);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return [.. (await MaterializeAsync(study, folder, data: false, cancellationToken).ConfigureAwait(false)).Values];
    }

    /// <inheritdoc />
    public bool KeepsArtifacts => true;

    /// <inheritdoc />
    /// <remarks>The content is stored first (content-addressed, harmless if the lease is lost meanwhile), then linked to the trial under its lease.</remarks>
    public async Task<bool> SaveArtifactAsync(TrialLease lease, string name, byte[] content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(content);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        await UploadAsync(sha, content.Length, () => new MemoryStream(content, writable: false), $"artifact '{name}' of trial {lease.Number}", cancellationToken).ConfigureAwait(false);
        return await InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using (var held = Command(connection, transaction, $"SELECT 1 FROM mlwb_trials {Leased} FOR UPDATE;", Lease(lease)))
                if (await held.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null) return false;
            await using var link = Command(connection, transaction,
                "INSERT INTO mlwb_trial_artifacts (study_id, number, name, sha256) VALUES ($1, $2, $3, $4) " +
                "ON CONFLICT (study_id, number, name) DO UPDATE SET sha256 = excluded.sha256;", _studyId, lease.Number, name, sha);
            await link.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<byte[]?> LoadArtifactAsync(int number, string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            string sha;
            await using (var select = Command(connection, transaction,
                "SELECT sha256 FROM mlwb_trial_artifacts WHERE study_id = $1 AND number = $2 AND name = $3;", _studyId, number, name))
            {
                if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string found) return null;
                sha = found;
            }
            using var content = new MemoryStream();
            await ReadBlobAsync(connection, transaction, sha, content, $"the artifact '{name}' of trial {number}", cancellationToken).ConfigureAwait(false);
            return (byte[]?)content.ToArray();
        }, cancellationToken);
    }

    /// <summary>Stores the finalizer's outputs (the final model) as blobs; they are linked to the study when its results are stored.</summary>
    private async Task<IReadOnlyList<(string Role, string Path, string Sha256, long Size)>> UploadOutputsAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var stored = new List<(string Role, string Path, string Sha256, long Size)>();
        foreach (var path in paths.Where(File.Exists))
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            await UploadAsync(sha, bytes.Length, () => new MemoryStream(bytes, writable: false), path, cancellationToken).ConfigureAwait(false);
            stored.Add((OutputRole, Path.GetFileName(path), sha, bytes.Length));
        }
        return stored;
    }

    /// <summary>Replaces the open study's files of <paramref name="roles"/> by <paramref name="stored"/>, in one transaction.</summary>
    private Task LinkAsync(IEnumerable<string> roles, IReadOnlyList<(string Role, string Path, string Sha256, long Size)> stored, CancellationToken cancellationToken) =>
        InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await LinkAsync(connection, transaction, roles, stored, cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken);

    private async Task LinkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<string> roles,
        IReadOnlyList<(string Role, string Path, string Sha256, long Size)> stored, CancellationToken cancellationToken)
    {
        await using (var clear = Command(connection, transaction, "DELETE FROM mlwb_study_files WHERE study_id = $1 AND role = ANY($2);", _studyId, roles.ToArray()))
            await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (role, path, sha, size) in stored)
        {
            await using var insert = Command(connection, transaction,
                "INSERT INTO mlwb_study_files (study_id, role, path, sha256, size) VALUES ($1, $2, $3, $4, $5);", _studyId, role, path, sha, size);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stores a blob unless one with that SHA-256 exists: the row and every chunk in one transaction, so a reader sees a
    /// blob whole or not at all. The content is hashed again as it is sent, so a file that changed since it was hashed is refused.
    /// </summary>
    private Task UploadAsync(string sha, long size, Func<Stream> open, string what, CancellationToken cancellationToken) =>
        InTransactionAsync(open: false, async (connection, transaction) =>
        {
            // A second writer of the same blob waits here on the primary key until the first commits, then inserts nothing.
            await using (var insert = Command(connection, transaction,
                "INSERT INTO mlwb_blobs (sha256, size) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING;", sha, size))
                if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0) return 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[ChunkBytes];
            await using var stream = open();
            for (var chunk = 0; ; chunk++)
            {
                var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (read == 0 && chunk > 0) break;
                hash.AppendData(buffer, 0, read);
                await using var insertChunk = Command(connection, transaction, "INSERT INTO mlwb_blob_chunks (sha256, chunk, data) VALUES ($1, $2, $3);",
                    sha, chunk, buffer.AsSpan(0, read).ToArray());
                await insertChunk.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (read < buffer.Length) break;
            }
            if (!string.Equals(Convert.ToHexStringLower(hash.GetHashAndReset()), sha, StringComparison.Ordinal))
                throw new WorkbenchInputException($"'{what}' changed while it was being stored in the study's database: store it again once nothing writes to it.");
            return 0;
        }, cancellationToken);

    /// <summary>Copies the blob's chunks in order into <paramref name="target"/>, checking its SHA-256.</summary>
    private async Task ReadBlobAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sha, Stream target, string what, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var select = Command(connection, transaction, "SELECT data FROM mlwb_blob_chunks WHERE sha256 = $1 ORDER BY chunk;", sha))
        await using (var reader = await select.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var data = await reader.GetFieldValueAsync<byte[]>(0, cancellationToken).ConfigureAwait(false);
                hash.AppendData(data);
                await target.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            }
        }
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, sha, StringComparison.Ordinal))
            throw new WorkbenchInputException($"{what} read from {_where} has SHA-256 {actual}, not the {sha} it was stored under: the database is damaged; create the study again.");
    }

    /// <summary>Writes the study's data files (or its outputs) under <paramref name="folder"/>; returns each role's local path.</summary>
    private async Task<IReadOnlyDictionary<string, string>> MaterializeAsync(string study, string folder, bool data, CancellationToken cancellationToken)
    {
        var files = await InTransactionAsync(open: false, async (connection, transaction) =>
        {
            var rows = new List<(string Role, string Path, string Sha256)>();
            await using var select = Command(connection, transaction,
                "SELECT f.role, f.path, f.sha256 FROM mlwb_study_files f JOIN mlwb_studies s ON s.id = f.study_id " +
                $"WHERE s.name = $1 AND (f.role = '{OutputRole}') <> $2 ORDER BY f.role, f.path;", study, data);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            return rows;
        }, cancellationToken).ConfigureAwait(false);
        var local = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var role in files.GroupBy(f => f.Role, StringComparer.Ordinal))
        {
            // Data lives in a folder named by the hash of its files' names and contents: two studies on the same data share
            // it, and a study whose data changed never reads another's. Outputs go straight into the folder asked for.
            var root = data
                ? Path.Combine(folder, Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', role.Select(f => f.Path + "\0" + f.Sha256)))))[..32])
                : folder;
            foreach (var (_, path, sha) in role)
            {
                var target = Path.GetFullPath(Path.Combine(root, path));
                // The paths come from the database: one that leaves the folder is refused, not followed.
                if (path.Length == 0 || Path.IsPathRooted(path) || !target.StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new WorkbenchInputException($"The study '{study}' in {_where} names the file '{path}', which is not a relative path inside its folder: the database is damaged; create the study again.");
                await DownloadAsync(sha, target, $"The file '{path}' of the study '{study}'", cancellationToken).ConfigureAwait(false);
                // A data role maps to its file or folder; every output is its own entry.
                local[data ? role.Key : path] = data ? Path.Combine(root, path.Split('/')[0]) : target;
            }
        }
        return local;
    }

    /// <summary>Writes the blob to <paramref name="target"/> unless a file with its SHA-256 is there already; a new file appears whole (written beside it, then moved).</summary>
    private async Task DownloadAsync(string sha, string target, string what, CancellationToken cancellationToken)
    {
        if (File.Exists(target))
        {
            await using var existing = File.OpenRead(target);
            if (string.Equals(Convert.ToHexStringLower(await SHA256.HashDataAsync(existing, cancellationToken).ConfigureAwait(false)), sha, StringComparison.Ordinal)) return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temporary = $"{target}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Guid.NewGuid():N}.tmp";
        try
        {
            await InTransactionAsync(open: false, async (connection, transaction) =>
            {
                await using var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await ReadBlobAsync(connection, transaction, sha, file, what, cancellationToken).ConfigureAwait(false);
                return 0;
            }, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
