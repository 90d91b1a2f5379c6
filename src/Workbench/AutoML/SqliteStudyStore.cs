using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace MLWorkbench.AutoML;

/// <summary>
/// An <see cref="IStudyStore"/> over one embedded SQLite file. Several stores (worker threads or processes) may
/// share the file: it runs in WAL mode with a busy timeout, and every write is one short transaction that is on
/// disk when the call returns, so a killed run loses no finished trial.
/// </summary>
/// <remarks>
/// Parameter values keep their types (<see cref="double"/>, <see cref="int"/>, <see cref="string"/>) through a
/// type-tagged JSON form; every <see cref="double"/> (parameters, fold metrics, score, seconds) is written with
/// round-trip formatting, so values come back exactly, NaN and infinities included. One instance may be used
/// from several threads; its calls are serialized.
/// </remarks>
public sealed class SqliteStudyStore : IStudyStore
{
    /// <summary>The schema this code writes; a file with a higher version was made by a newer MLWorkbench.</summary>
    private const int SchemaVersion = 1;

    /// <summary>Seconds to wait for another writer's lock before giving up.</summary>
    private const int BusyTimeoutSeconds = 60;

    private const string DoubleTag = "double";
    private const string IntTag = "int";
    private const string StringTag = "string";

    private readonly string _path;
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long? _studyId;
    private string? _studyName;
    private bool _disposed;

    /// <summary>
    /// Opens the store at <paramref name="path"/>, creating the file (and its folder) when missing.
    /// Throws <see cref="WorkbenchInputException"/> when the file is not a study store or cannot be opened.
    /// </summary>
    /// <param name="path">The SQLite file, e.g. <c>runs/study.db</c>.</param>
    public SqliteStudyStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // One long-lived connection per store; no pool, so that Dispose releases the file at once.
            Pooling = false,
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString();
        _connection = new SqliteConnection(connectionString);
        try
        {
            _connection.Open();
            Initialize();
        }
        catch (SqliteException ex)
        {
            _connection.Dispose();
            _gate.Dispose();
            throw Translate(ex);
        }
        catch
        {
            _connection.Dispose();
            _gate.Dispose();
            throw;
        }
    }

    /// <summary>The full path of the SQLite file.</summary>
    public string FilePath => _path;

    /// <summary>
    /// What a search resumes from: the study <paramref name="name"/> in the file at <paramref name="path"/> (opened, or
    /// created, with the search's <paramref name="fingerprint"/>) and its finished trials by number; no store and no
    /// trials when <paramref name="path"/> is null. The caller disposes the store.
    /// </summary>
    internal static async Task<(SqliteStudyStore? Store, Dictionary<int, StoredTrial> Trials)> ResumeAsync(string? path, string name, Func<string> fingerprint,
        CancellationToken cancellationToken)
    {
        var trials = new Dictionary<int, StoredTrial>();
        if (path is null) return (null, trials);
        var store = new SqliteStudyStore(path);
        try
        {
            await store.OpenAsync(name, fingerprint(), cancellationToken).ConfigureAwait(false);
            foreach (var t in await store.LoadTrialsAsync(cancellationToken).ConfigureAwait(false)) trials[t.Number] = t;
            return (store, trials);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(fingerprint);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await using var transaction = await BeginAsync(cancellationToken).ConfigureAwait(false);

            long? id = null;
            string? stored = null;
            await using (var select = Command(transaction, "SELECT id, fingerprint FROM studies WHERE name = $name;"))
            {
                select.Parameters.AddWithValue("$name", name);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    id = reader.GetInt64(0);
                    stored = reader.GetString(1);
                }
            }

            if (id is null)
            {
                await using var insert = Command(transaction,
                    "INSERT INTO studies (name, fingerprint, created_utc) VALUES ($name, $fingerprint, $created) RETURNING id;");
                insert.Parameters.AddWithValue("$name", name);
                insert.Parameters.AddWithValue("$fingerprint", fingerprint);
                insert.Parameters.AddWithValue("$created", FormatTime(DateTimeOffset.UtcNow));
                id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }
            else if (!string.Equals(stored, fingerprint, StringComparison.Ordinal))
            {
                throw new WorkbenchInputException(
                    $"The study '{name}' in the store '{_path}' was started with different settings (data, task, label, folds, seed or sampler), " +
                    $"so its trials are not comparable: use another study name or delete '{_path}'.");
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _studyId = id;
            _studyName = name;
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

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var studyId = RequireOpen();
            var trials = new List<StoredTrial>();
            await using var select = Command(null,
                "SELECT number, trainer, parameters_json, state, score, fold_metrics_json, seconds, reason, finished_utc " +
                "FROM trials WHERE study_id = $study ORDER BY number;");
            select.Parameters.AddWithValue("$study", studyId);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var number = reader.GetInt32(0);
                try
                {
                    trials.Add(new StoredTrial(
                        number,
                        new TrialConfig(reader.GetString(1), ReadParameters(reader.GetString(2))),
                        Enum.Parse<TrialState>(reader.GetString(3)),
                        reader.IsDBNull(4) ? null : ParseDouble(reader.GetString(4)),
                        ReadFoldMetrics(reader.GetString(5)),
                        ParseDouble(reader.GetString(6)),
                        reader.IsDBNull(7) ? null : reader.GetString(7),
                        DateTimeOffset.Parse(reader.GetString(8), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)));
                }
                catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidOperationException or OverflowException)
                {
                    throw new WorkbenchInputException(
                        $"Trial {number} of the study '{_studyName}' in the store '{_path}' cannot be read ({ex.Message}): " +
                        "use another study name or delete the file.", ex);
                }
            }

            return trials;
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

    /// <inheritdoc />
    public async Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(trial.Config);
        ArgumentNullException.ThrowIfNull(trial.FoldMetrics);
        // Serialize before taking the lock, so that an unsupported value fails without touching the file.
        var parameters = WriteParameters(trial.Config.Parameters);
        var folds = WriteFoldMetrics(trial.FoldMetrics);

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var studyId = RequireOpen();
            await using var transaction = await BeginAsync(cancellationToken).ConfigureAwait(false);
            await using (var upsert = Command(transaction,
                "INSERT INTO trials (study_id, number, trainer, parameters_json, state, score, fold_metrics_json, seconds, reason, finished_utc) " +
                "VALUES ($study, $number, $trainer, $parameters, $state, $score, $folds, $seconds, $reason, $finished) " +
                "ON CONFLICT (study_id, number) DO UPDATE SET trainer = excluded.trainer, parameters_json = excluded.parameters_json, " +
                "state = excluded.state, score = excluded.score, fold_metrics_json = excluded.fold_metrics_json, " +
                "seconds = excluded.seconds, reason = excluded.reason, finished_utc = excluded.finished_utc;"))
            {
                upsert.Parameters.AddWithValue("$study", studyId);
                upsert.Parameters.AddWithValue("$number", trial.Number);
                upsert.Parameters.AddWithValue("$trainer", trial.Config.Trainer);
                upsert.Parameters.AddWithValue("$parameters", parameters);
                upsert.Parameters.AddWithValue("$state", trial.State.ToString());
                upsert.Parameters.AddWithValue("$score", trial.Score is { } score ? FormatDouble(score) : DBNull.Value);
                upsert.Parameters.AddWithValue("$folds", folds);
                upsert.Parameters.AddWithValue("$seconds", FormatDouble(trial.Seconds));
                upsert.Parameters.AddWithValue("$reason", (object?)trial.Reason ?? DBNull.Value);
                upsert.Parameters.AddWithValue("$finished", FormatTime(trial.FinishedUtc));
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>Closes the connection and releases the file.</summary>
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
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sets the connection up and creates or checks the schema.</summary>
    private void Initialize()
    {
        // Reads the header first, so that a file that is not SQLite fails here with SQLITE_NOTADB.
        Execute("PRAGMA busy_timeout = " + (BusyTimeoutSeconds * 1000).ToString(CultureInfo.InvariantCulture) + ";");
        Execute("PRAGMA journal_mode = WAL;");
        // FULL: in WAL mode every commit is synced, so a saved trial survives even a power cut.
        Execute("PRAGMA synchronous = FULL;");
        Execute("PRAGMA foreign_keys = ON;");

        using var transaction = _connection.BeginTransaction(deferred: false);
        using (var create = _connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText =
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);" +
                "CREATE TABLE IF NOT EXISTS studies (" +
                " id INTEGER PRIMARY KEY AUTOINCREMENT," +
                " name TEXT NOT NULL UNIQUE," +
                " fingerprint TEXT NOT NULL," +
                " created_utc TEXT NOT NULL);" +
                "CREATE TABLE IF NOT EXISTS trials (" +
                " study_id INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE," +
                " number INTEGER NOT NULL," +
                " trainer TEXT NOT NULL," +
                " parameters_json TEXT NOT NULL," +
                " state TEXT NOT NULL," +
                " score TEXT NULL," +
                " fold_metrics_json TEXT NOT NULL," +
                " seconds TEXT NOT NULL," +
                " reason TEXT NULL," +
                " finished_utc TEXT NOT NULL," +
                " PRIMARY KEY (study_id, number));";
            create.ExecuteNonQuery();
        }

        long? version;
        using (var select = _connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT MAX(version) FROM schema_version;";
            var value = select.ExecuteScalar();
            version = value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }

        if (version is null)
        {
            using var insert = _connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO schema_version (version) VALUES ($version);";
            insert.Parameters.AddWithValue("$version", SchemaVersion);
            insert.ExecuteNonQuery();
        }
        else if (version > SchemaVersion)
        {
            throw new WorkbenchInputException(
                $"The study store '{_path}' was written by a newer MLWorkbench (schema {version}, this one reads {SchemaVersion}): " +
                "upgrade MLWorkbench or use another store file.");
        }

        transaction.Commit();
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private Task<SqliteTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // IMMEDIATE (not deferred): take the write lock up front, so that concurrent writers wait out the busy
        // timeout instead of failing on a lock upgrade. Microsoft.Data.Sqlite has no truly asynchronous I/O.
        return Task.FromResult(_connection.BeginTransaction(deferred: false));
    }

    private SqliteCommand Command(SqliteTransaction? transaction, string sql)
    {
        var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private long RequireOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _studyId ?? throw new InvalidOperationException(
            $"No study is open in the store '{_path}': call {nameof(OpenAsync)} first.");
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

    private static string WriteParameters(IReadOnlyDictionary<string, object> parameters)
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

    private static Dictionary<string, object> ReadParameters(string text)
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

    private static string WriteFoldMetrics(IReadOnlyList<IReadOnlyDictionary<string, double>> folds)
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

    private static List<IReadOnlyDictionary<string, double>> ReadFoldMetrics(string text)
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
}
