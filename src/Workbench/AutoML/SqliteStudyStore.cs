using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>
/// An <see cref="IStudyStore"/> over one embedded SQLite file, for one process: the store holds an operating-system lock
/// on <c>FILE.lock</c> from construction to <see cref="Dispose"/>, so a second store on the same file (in this process or
/// another) is refused at once with a sentence naming the holder's process id and host. Every write is one short
/// transaction that is on disk when the call returns, so a killed run loses no finished trial; trials a stopped
/// process left running are queued again when their study opens (the lock proves that process is gone), and the study
/// runs them again under their own numbers.
/// </summary>
/// <remarks>
/// Parameter values keep their types (<see cref="double"/>, <see cref="int"/>, <see cref="string"/>) through a
/// type-tagged JSON form; every <see cref="double"/> (parameters, fold metrics, score, seconds) is written with
/// round-trip formatting, so values come back exactly, NaN and infinities included. One instance may be used
/// from several threads; its calls are serialized. Files of schema 1 (before leases) are upgraded in place when opened.
/// </remarks>
public sealed class SqliteStudyStore : IStudyStore
{
    /// <summary>The schema this code writes; a file with a higher version was made by a newer MLWorkbench.</summary>
    private const int SchemaVersion = 3;

    // Schema 2 made fingerprints name every setting (pruner included); older studies cannot be checked on resume.
    private const int FingerprintSchema = 2;

    /// <summary>Seconds to wait for SQLite's own file lock (only this process writes, so waits are short).</summary>
    private const int BusyTimeoutSeconds = 60;

    private const string DoubleTag = "double";
    private const string IntTag = "int";
    private const string StringTag = "string";
    private const string TrialColumns = "number, trainer, parameters_json, state, score, fold_metrics_json, seconds, reason, finished_utc, heartbeat_utc";

    private readonly string? _path;
    private readonly SqliteConnection _connection;
    private readonly FileStream? _lock;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long? _studyId;
    private string? _studyName;
    private bool _disposed;
    private bool _durable = true;

    /// <summary>
    /// Opens the store at <paramref name="path"/>, creating the file (and its folder) when missing, and takes the lock
    /// that makes this store the file's only writer until <see cref="Dispose"/>.
    /// Throws <see cref="WorkbenchInputException"/> when another store holds the file, when the file is not a study store,
    /// or when it cannot be opened.
    /// </summary>
    /// <param name="path">The SQLite file, e.g. <c>runs/study.db</c>.</param>
    public SqliteStudyStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);
        _lock = TakeLock(_path);
        _connection = Open(_path, _lock);
    }

    private SqliteStudyStore()
    {
        _connection = Open(null, null);
    }

    /// <summary>A store that keeps its trials in memory only, for a search that does not need to resume.</summary>
    public static SqliteStudyStore InMemory() => new();

    /// <summary>The full path of the SQLite file; null for a store in memory.</summary>
    public string? FilePath => _path;

    /// <inheritdoc />
    public string? Location => _path;

    private string Where => _path is null ? "the study store in memory" : $"the store '{_path}'";

    private SqliteConnection Open(string? path, FileStream? held)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path ?? ":memory:",
            Mode = path is null ? SqliteOpenMode.Memory : SqliteOpenMode.ReadWriteCreate,
            // One long-lived connection per store; no pool, so that Dispose releases the file at once.
            Pooling = false,
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString());
        try
        {
            connection.Open();
            Initialize(connection);
            return connection;
        }
        catch (SqliteException ex)
        {
            Release(connection, held);
            throw Translate(ex);
        }
        catch
        {
            Release(connection, held);
            throw;
        }
    }

    private void Release(SqliteConnection connection, FileStream? held)
    {
        connection.Dispose();
        held?.Dispose();
        _gate.Dispose();
    }

    /// <summary>
    /// Takes the writer's lock: an exclusive handle on FILE.lock, which the operating system releases when the process
    /// ends, however it ends. Who holds it is recorded in the database (the lock file cannot be read while held).
    /// </summary>
    private static FileStream TakeLock(string path)
    {
        try
        {
            return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path + ".lock"))
        {
            throw new WorkbenchInputException(
                $"The study store '{path}' is in use by {Holder(path)}; one process writes a study at a time: " +
                "wait for it to finish or stop it, or use another study file.");
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new WorkbenchInputException($"The study store '{path}' cannot be locked for writing ({ex.Message}): check the folder's permissions.", ex);
        }
    }

    private static string Holder(string path)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT pid, host, since_utc FROM owner LIMIT 1;";
            using var reader = select.ExecuteReader();
            if (reader.Read())
                return $"process {reader.GetInt64(0)} on host '{reader.GetString(1)}' (since {reader.GetString(2)})";
        }
        catch (SqliteException)
        {
            // The holder has not written its name yet, or the file is not readable: say what is known.
        }
        return "another process";
    }

    /// <inheritdoc />
    public async Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(fingerprint);
        await LockedAsync(open: false, Write.Durable, transaction =>
        {
            long? id = null;
            string? stored = null;
            long schema = SchemaVersion;
            using (var select = Command(transaction, "SELECT id, fingerprint, schema FROM studies WHERE name = $name;", ("$name", name)))
            using (var reader = select.ExecuteReader())
            {
                if (reader.Read())
                    (id, stored, schema) = (reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2));
            }

            if (id is null)
            {
                using var insert = Command(transaction, "INSERT INTO studies (name, fingerprint, created_utc, schema) VALUES ($name, $fingerprint, $created, $schema) RETURNING id;",
                    ("$name", name), ("$fingerprint", fingerprint), ("$created", FormatTime(DateTimeOffset.UtcNow)), ("$schema", SchemaVersion));
                id = Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            else if (!string.Equals(stored, fingerprint, StringComparison.Ordinal))
            {
                throw new WorkbenchInputException(schema < FingerprintSchema
                    ? $"The study '{name}' in {Where} was started by an older MLWorkbench (study schema {schema}; this one writes schema {SchemaVersion}), " +
                      $"whose fingerprint did not record the pruner and other settings, so resuming it cannot be checked: use another study name or delete '{_path}'."
                    : $"The study '{name}' in {Where} was started with different settings ({Differences(stored!, fingerprint)}), " +
                      $"so its trials are not comparable: use another study name or delete '{_path}'.");
            }

            // Only this process writes the file, so a trial still running was left by a process that stopped: queue it again.
            using (var requeue = Command(transaction,
                "UPDATE trials SET state = 'Queued', lease_token = NULL, heartbeat_utc = NULL, fold_metrics_json = '[]' WHERE study_id = $study AND state = 'Running';",
                ("$study", id)))
                requeue.ExecuteNonQuery();
            _studyId = id;
            _studyName = name;
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The settings that differ between two fingerprints of the form <c>key=value; key=value</c>.</summary>
    internal static string Differences(string stored, string given)
    {
        static Dictionary<string, string> Parse(string text) => text.Split("; ")
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        var (was, now) = (Parse(stored), Parse(given));
        var changed = was.Keys.Union(now.Keys).Where(k => was.GetValueOrDefault(k) != now.GetValueOrDefault(k))
            .Select(k => $"{k} was '{Shorten(was.GetValueOrDefault(k) ?? "")}', now '{Shorten(now.GetValueOrDefault(k) ?? "")}'").ToArray();
        return changed.Length == 0 ? "data, task, label, folds, seed, sampler or pruner" : string.Join(", ", changed);
    }

    private static string Shorten(string value) => value.Length > 20 ? value[..12] + "…" : value;

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default) =>
        LockedAsync(open: true, Write.None, _ =>
        {
            var trials = new List<StoredTrial>();
            using var select = Command(null, $"SELECT {TrialColumns} FROM trials WHERE study_id = $study ORDER BY number;", ("$study", _studyId));
            using var reader = select.ExecuteReader();
            while (reader.Read())
                trials.Add(ReadTrial(reader));
            return (IReadOnlyList<StoredTrial>)trials;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<double> GetSpentSecondsAsync(CancellationToken cancellationToken = default) =>
        LockedAsync(open: true, Write.None, _ =>
        {
            using var select = Command(null, "SELECT spent_seconds FROM studies WHERE id = $study;", ("$study", _studyId));
            return Convert.ToDouble(select.ExecuteScalar(), CultureInfo.InvariantCulture);
        }, cancellationToken);

    /// <inheritdoc />
    public Task AddSpentSecondsAsync(double seconds, CancellationToken cancellationToken = default)
    {
        if (!(seconds >= 0)) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "must be zero or more");
        // Additive, not a total: two workers (or two batches) each add what they spent.
        return LockedAsync(open: true, Write.Fast, transaction =>
        {
            using var update = Command(transaction, "UPDATE studies SET spent_seconds = spent_seconds + $seconds WHERE id = $study;",
                ("$seconds", seconds), ("$study", _studyId));
            return update.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<TrialLease> CreateTrialAsync(Func<int, TrialConfig> propose, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(propose);
        return LockedAsync(open: true, Write.Fast, transaction =>
        {
            var number = NextNumber(transaction);
            var config = propose(number) ?? throw new InvalidOperationException("The sampler proposed no configuration.");
            var lease = new TrialLease(number, config, NewToken());
            Insert(transaction, number, config, TrialState.Running, lease.Token);
            return lease;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> EnqueueAsync(TrialConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        return LockedAsync(open: true, Write.Fast, transaction =>
        {
            var number = NextNumber(transaction);
            Insert(transaction, number, config, TrialState.Queued, null);
            return number;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<TrialLease?> ClaimQueuedAsync(CancellationToken cancellationToken = default) =>
        LockedAsync(open: true, Write.Fast, transaction =>
        {
            StoredTrial queued;
            using (var select = Command(transaction, $"SELECT {TrialColumns} FROM trials WHERE study_id = $study AND state = 'Queued' ORDER BY number LIMIT 1;",
                ("$study", _studyId)))
            using (var reader = select.ExecuteReader())
            {
                if (!reader.Read()) return null;
                queued = ReadTrial(reader);
            }
            var lease = new TrialLease(queued.Number, queued.Config, NewToken());
            using var claim = Command(transaction,
                "UPDATE trials SET state = 'Running', lease_token = $token, heartbeat_utc = $now, finished_utc = $now WHERE study_id = $study AND number = $number;",
                ("$token", lease.Token), ("$now", FormatTime(DateTimeOffset.UtcNow)), ("$study", _studyId), ("$number", lease.Number));
            claim.ExecuteNonQuery();
            return (TrialLease?)lease;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> HeartbeatAsync(TrialLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return LockedAsync(open: true, Write.Fast, transaction =>
        {
            using var beat = Command(transaction, "UPDATE trials SET heartbeat_utc = $now " + Leased, Lease(lease, ("$now", FormatTime(DateTimeOffset.UtcNow))));
            return beat.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> ReportAsync(TrialLease lease, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return LockedAsync(open: true, Write.Fast, transaction =>
        {
            List<IReadOnlyDictionary<string, double>> steps;
            using (var select = Command(transaction, "SELECT fold_metrics_json FROM trials " + Leased, Lease(lease)))
            {
                if (select.ExecuteScalar() is not string json) return false;
                steps = ReadFoldMetrics(json);
            }
            if (step > steps.Count) throw new ArgumentOutOfRangeException(nameof(step), $"Trial {lease.Number} has {steps.Count} steps; step {step} cannot come next.");
            if (step == steps.Count) steps.Add(metrics);
            else steps[step] = metrics;
            using var update = Command(transaction, "UPDATE trials SET fold_metrics_json = $folds, heartbeat_utc = $now " + Leased,
                Lease(lease, ("$folds", WriteFoldMetrics(steps)), ("$now", FormatTime(DateTimeOffset.UtcNow))));
            return update.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> FinishAsync(TrialLease lease, StoredTrial trial, CancellationToken cancellationToken = default)
    {
        StoredTrials.CheckFinishing(lease, trial);
        var folds = WriteFoldMetrics(trial.FoldMetrics);
        return LockedAsync(open: true, Write.Durable, transaction =>
        {
            using var finish = Command(transaction,
                "UPDATE trials SET state = $state, score = $score, fold_metrics_json = $folds, seconds = $seconds, reason = $reason, " +
                "finished_utc = $finished, lease_token = NULL, heartbeat_utc = NULL " + Leased,
                Lease(lease, ("$state", trial.State.ToString()), ("$score", trial.Score is { } score ? FormatDouble(score) : null), ("$folds", folds),
                    ("$seconds", FormatDouble(trial.Seconds)), ("$reason", trial.Reason), ("$finished", FormatTime(trial.FinishedUtc))));
            return finish.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default)
    {
        StoredTrials.Check(trial);
        // Serialize before taking the lock, so that an unsupported value fails without touching the file.
        var parameters = WriteParameters(trial.Config.Parameters);
        var folds = WriteFoldMetrics(trial.FoldMetrics);
        return LockedAsync(open: true, Write.Durable, transaction =>
        {
            using (var running = Command(transaction, "SELECT 1 FROM trials WHERE study_id = $study AND number = $number AND state = 'Running';",
                ("$study", _studyId), ("$number", trial.Number)))
            {
                if (running.ExecuteScalar() is not null)
                    throw new InvalidOperationException($"Trial {trial.Number} of the study '{_studyName}' is running under a lease; only its holder can finish it.");
            }
            using var upsert = Command(transaction,
                "INSERT INTO trials (study_id, number, trainer, parameters_json, state, score, fold_metrics_json, seconds, reason, finished_utc) " +
                "VALUES ($study, $number, $trainer, $parameters, $state, $score, $folds, $seconds, $reason, $finished) " +
                "ON CONFLICT (study_id, number) DO UPDATE SET trainer = excluded.trainer, parameters_json = excluded.parameters_json, " +
                "state = excluded.state, score = excluded.score, fold_metrics_json = excluded.fold_metrics_json, " +
                "seconds = excluded.seconds, reason = excluded.reason, finished_utc = excluded.finished_utc, lease_token = NULL, heartbeat_utc = NULL;",
                ("$study", _studyId), ("$number", trial.Number), ("$trainer", trial.Config.Trainer), ("$parameters", parameters),
                ("$state", trial.State.ToString()), ("$score", trial.Score is { } score ? FormatDouble(score) : null), ("$folds", folds),
                ("$seconds", FormatDouble(trial.Seconds)), ("$reason", trial.Reason), ("$finished", FormatTime(trial.FinishedUtc)));
            upsert.ExecuteNonQuery();
            return 0;
        }, cancellationToken);
    }

    /// <summary>Closes the connection and releases the file and its lock.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _gate.Wait();
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            SqliteConnection.ClearPool(_connection);
            _connection.Dispose();
            _lock?.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    private const string Leased = "WHERE study_id = $study AND number = $number AND state = 'Running' AND lease_token = $token;";

    private (string, object?)[] Lease(TrialLease lease, params (string, object?)[] more) =>
        [("$study", _studyId), ("$number", lease.Number), ("$token", lease.Token), .. more];

    private static string NewToken() => Guid.NewGuid().ToString("N");


    private int NextNumber(SqliteTransaction? transaction)
    {
        using var select = Command(transaction, "SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = $study;", ("$study", _studyId));
        return Convert.ToInt32(select.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void Insert(SqliteTransaction? transaction, int number, TrialConfig config, TrialState state, string? token)
    {
        var now = FormatTime(DateTimeOffset.UtcNow);
        using var insert = Command(transaction,
            "INSERT INTO trials (study_id, number, trainer, parameters_json, state, score, fold_metrics_json, seconds, reason, finished_utc, lease_token, heartbeat_utc) " +
            "VALUES ($study, $number, $trainer, $parameters, $state, NULL, '[]', '0', NULL, $now, $token, $heartbeat);",
            ("$study", _studyId), ("$number", number), ("$trainer", config.Trainer), ("$parameters", WriteParameters(config.Parameters)),
            ("$state", state.ToString()), ("$now", now), ("$token", token), ("$heartbeat", token is null ? null : now));
        insert.ExecuteNonQuery();
    }

    private StoredTrial ReadTrial(SqliteDataReader reader)
    {
        var number = reader.GetInt32(0);
        try
        {
            return new StoredTrial(
                number,
                new TrialConfig(reader.GetString(1), ReadParameters(reader.GetString(2))),
                Enum.Parse<TrialState>(reader.GetString(3)),
                reader.IsDBNull(4) ? null : ParseDouble(reader.GetString(4)),
                ReadFoldMetrics(reader.GetString(5)),
                ParseDouble(reader.GetString(6)),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                ParseTime(reader.GetString(8)),
                reader.IsDBNull(9) ? null : ParseTime(reader.GetString(9)));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            throw new WorkbenchInputException(
                $"Trial {number} of the study '{_studyName}' in {Where} cannot be read ({ex.Message}): use another study name or delete the file.", ex);
        }
    }

    /// <summary>
    /// How a call writes. Finishing a trial is synced to disk before the call returns (it must survive a power cut); steps,
    /// heartbeats, leases and the queue are only written (they survive a killed process, and the next synced commit
    /// syncs them too), so that a five-fold trial costs one sync, not seven.
    /// </summary>
    private enum Write { None, Fast, Durable }

    /// <summary>Runs <paramref name="work"/> alone (and, when it writes, in one immediate transaction), translating SQLite's errors about the file.</summary>
    private async Task<T> LockedAsync<T>(bool open, Write write, Func<SqliteTransaction?, T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (open && _studyId is null)
                throw new InvalidOperationException($"No study is open in {Where}: call {nameof(OpenAsync)} first.");
            if (write == Write.None)
                return work(null);
            if ((write == Write.Durable) != _durable)
            {
                // In WAL mode, FULL syncs the log at every commit; NORMAL only at checkpoints.
                Execute(_connection, null, write == Write.Durable ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;");
                _durable = write == Write.Durable;
            }
            // IMMEDIATE (not deferred): take the write lock up front. Microsoft.Data.Sqlite has no truly asynchronous I/O.
            using var transaction = _connection.BeginTransaction(deferred: false);
            var result = work(transaction);
            transaction.Commit();
            return result;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sets the connection up and creates, upgrades or checks the schema; records this process as the writer.</summary>
    private void Initialize(SqliteConnection connection)
    {
        // Reads the header first, so that a file that is not SQLite fails here with SQLITE_NOTADB.
        Execute(connection, null, "PRAGMA busy_timeout = " + (BusyTimeoutSeconds * 1000).ToString(CultureInfo.InvariantCulture) + ";");
        Execute(connection, null, "PRAGMA journal_mode = WAL;");
        // FULL: in WAL mode every commit is synced, so a finished trial survives even a power cut (see Write).
        Execute(connection, null, "PRAGMA synchronous = FULL;");
        Execute(connection, null, "PRAGMA foreign_keys = ON;");

        using var transaction = connection.BeginTransaction(deferred: false);
        // Schema 1's tables; schema 2 adds to them below, so that files of either version end the same.
        Execute(connection, transaction,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);" +
            "CREATE TABLE IF NOT EXISTS studies (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, fingerprint TEXT NOT NULL, created_utc TEXT NOT NULL);" +
            "CREATE TABLE IF NOT EXISTS trials (" +
            " study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE, number INTEGER NOT NULL, trainer TEXT NOT NULL," +
            " parameters_json TEXT NOT NULL, state TEXT NOT NULL, score TEXT NULL, fold_metrics_json TEXT NOT NULL, seconds TEXT NOT NULL," +
            " reason TEXT NULL, finished_utc TEXT NOT NULL, PRIMARY KEY (study_id, number));");
        using var select = Command(connection, transaction, "SELECT MAX(version) FROM schema_version;");
        var value = select.ExecuteScalar();
        long? version = value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new WorkbenchInputException(
                $"The study store '{_path}' was written by a newer MLWorkbench (schema {version}, this one reads {SchemaVersion}): " +
                "upgrade MLWorkbench or use another store file.");
        }
        if (version is null or < 2)
        {
            // Schema 2: leases, heartbeats and queued trials; each study records the schema that made its fingerprint.
            Execute(connection, transaction,
                "ALTER TABLE studies ADD COLUMN schema INTEGER NOT NULL DEFAULT 1;" +
                "ALTER TABLE trials ADD COLUMN lease_token TEXT NULL;" +
                "ALTER TABLE trials ADD COLUMN heartbeat_utc TEXT NULL;" +
                "CREATE TABLE owner (pid INTEGER NOT NULL, host TEXT NOT NULL, since_utc TEXT NOT NULL);" +
                "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (2);");
        }
        if (version is null or < 3)
        {
            // Schema 3: the seconds each study has spent, so that a budget counts across resumes.
            Execute(connection, transaction,
                "ALTER TABLE studies ADD COLUMN spent_seconds REAL NOT NULL DEFAULT 0;" +
                "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (3);");
        }
        Execute(connection, transaction, "DELETE FROM owner;");
        using (var owner = Command(connection, transaction, "INSERT INTO owner (pid, host, since_utc) VALUES ($pid, $host, $since);",
            ("$pid", Environment.ProcessId), ("$host", Environment.MachineName), ("$since", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))))
            owner.ExecuteNonQuery();
        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters) =>
        Command(_connection, transaction, sql, parameters);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>Turns SQLite's errors about the file itself into messages for the user; others pass through.</summary>
    private Exception Translate(SqliteException ex) => ex.SqliteErrorCode switch
    {
        // SQLITE_CORRUPT, SQLITE_NOTADB
        11 or 26 => new WorkbenchInputException(
            $"The file '{_path}' is not a study store (it is not a SQLite database or it is damaged): point to another file or delete it.", ex),
        // SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM
        14 or 8 or 3 => new WorkbenchInputException(
            $"The study store '{_path}' cannot be opened for writing ({ex.Message}): check the path and its permissions.", ex),
        _ => ex,
    };

    internal static string WriteParameters(IReadOnlyDictionary<string, object> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var (name, value) in parameters)
            {
                json.WriteStartObject(name);
                switch (value)
                {
                    case double d:
                        json.WriteString(DoubleTag, FormatDouble(d));
                        break;
                    case int i:
                        json.WriteNumber(IntTag, i);
                        break;
                    case string s:
                        json.WriteString(StringTag, s);
                        break;
                    default:
                        throw new ArgumentException(
                            $"The parameter '{name}' has a value of type {value?.GetType().Name ?? "null"}; a trial's parameters must be double, int or string.",
                            nameof(parameters));
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    internal static Dictionary<string, object> ReadParameters(string text)
    {
        using var document = JsonDocument.Parse(text);
        var parameters = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var parameter in document.RootElement.EnumerateObject())
        {
            var tagged = parameter.Value.EnumerateObject().Single();
            parameters[parameter.Name] = tagged.Name switch
            {
                DoubleTag => ParseDouble(tagged.Value.GetString() ?? throw new FormatException("A double is missing its value.")),
                IntTag => tagged.Value.GetInt32(),
                StringTag => tagged.Value.GetString() ?? throw new FormatException("A string is missing its value."),
                _ => throw new FormatException($"Unknown value type '{tagged.Name}'."),
            };
        }

        return parameters;
    }

    internal static string WriteFoldMetrics(IReadOnlyList<IReadOnlyDictionary<string, double>> folds)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var fold in folds)
            {
                ArgumentNullException.ThrowIfNull(fold, nameof(folds));
                json.WriteStartObject();
                foreach (var (metric, value) in fold)
                    json.WriteString(metric, FormatDouble(value));
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    internal static List<IReadOnlyDictionary<string, double>> ReadFoldMetrics(string text)
    {
        using var document = JsonDocument.Parse(text);
        var folds = new List<IReadOnlyDictionary<string, double>>();
        foreach (var fold in document.RootElement.EnumerateArray())
        {
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var metric in fold.EnumerateObject())
                metrics[metric.Name] = ParseDouble(metric.Value.GetString() ?? throw new FormatException("A metric is missing its value."));
            folds.Add(metrics);
        }

        return folds;
    }

    /// <summary>Shortest text that parses back to the same double ("NaN", "Infinity" and "-0" included).</summary>
    private static string FormatDouble(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static double ParseDouble(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string FormatTime(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
