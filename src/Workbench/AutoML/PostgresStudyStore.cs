using System.Globalization;
using Npgsql;
using MLWorkbench.Tasks;

namespace MLWorkbench.AutoML;

/// <summary>Settings of a <see cref="PostgresStudyStore"/>. Every default is documented on its property.</summary>
public sealed record PostgresStoreSettings
{
    /// <summary>
    /// A running trial whose last heartbeat (on the database clock) is older than this is taken to be dead (default 60 s,
    /// six of <see cref="StudySettings.HeartbeatInterval"/>'s default 10 s, so that a slow step or a busy database does not
    /// kill a live trial). Its lease stops working at once: it can neither heartbeat nor finish.
    /// </summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many times a trial may be started (default 3): a dead trial is queued again until it has been started this
    /// many times, then it is failed with the reason (Optuna's <c>RetryFailedTrialCallback(max_retry)</c>).
    /// </summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Who this process is, recorded on every trial it starts (default <c>HOST:PID</c>).</summary>
    public string Worker { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>
    /// The most bytes of data files one study keeps in the database (default 1 GiB): the creator stores its training,
    /// validation and test files there so that workers need only the connection string; larger data belongs on storage
    /// every worker mounts. A study whose files exceed it is refused when it is created, in one sentence.
    /// </summary>
    public long MaxDataBytes { get; init; } = 1L << 30;
}

/// <summary>
/// An <see cref="IStudyStore"/> on a PostgreSQL server, for many worker processes on many machines sharing one study, on
/// Optuna's RDB storage model: every worker is identical, every call is one short transaction, and any worker can be
/// killed. Trial numbers come from a per-study counter row, so they are unique under any concurrency; queued trials are
/// claimed with <c>FOR UPDATE SKIP LOCKED</c> (through a partial index on waiting trials, so a claim stays fast however
/// many trials have finished); every lease has a token and a heartbeat on the database clock, and a trial whose
/// heartbeat is older than <see cref="PostgresStoreSettings.GracePeriod"/> is queued again (or failed after
/// <see cref="PostgresStoreSettings.MaxAttempts"/> starts) by whichever worker looks first. The schema is created and
/// migrated by this class; a database whose schema is newer than this code is refused.
/// </summary>
/// <remarks>
/// Parameters and step metrics are kept as the same type-tagged, round-trip JSON as <see cref="SqliteStudyStore"/>;
/// scores and seconds are <c>double precision</c>, which keeps NaN and infinities. Calls borrow a connection from one
/// pool per store (Npgsql's), so one store may be used from several threads.
/// </remarks>
public sealed partial class PostgresStudyStore : IStudyStore
{
    /// <summary>The schema this code writes; a database with a higher version was made by a newer MLWorkbench.</summary>
    public const int SchemaVersion = 4;

    // Serializes schema creation and migration between workers that start at the same moment (any constant will do;
    // this one is "mlwb" in ASCII).
    private const long MigrationLockKey = 0x6D6C7762;

    private const string TrialColumns = "number, trainer, parameters_json, state, score, fold_metrics_json, seconds, reason, finished_utc, heartbeat_utc, worker, attempts";

    /// <summary>Each entry upgrades the schema from its index to the next version.</summary>
    private static readonly string[] Migrations =
    [
        // 0 → 1: studies with their trial counter and spent seconds; trials with leases, workers and attempts.
        "CREATE TABLE mlwb_studies (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, fingerprint text NOT NULL, " +
        " created_utc timestamptz NOT NULL DEFAULT now(), spent_seconds double precision NOT NULL DEFAULT 0, " +
        " next_number integer NOT NULL DEFAULT 0, spec text NULL);" +
        "CREATE TABLE mlwb_trials (study_id bigint NOT NULL REFERENCES mlwb_studies (id) ON DELETE CASCADE, number integer NOT NULL, " +
        " trainer text NOT NULL, parameters_json text NOT NULL, state text NOT NULL, score double precision NULL, " +
        " fold_metrics_json text NOT NULL DEFAULT '[]', seconds double precision NOT NULL DEFAULT 0, reason text NULL, " +
        " finished_utc timestamptz NOT NULL DEFAULT now(), lease_token text NULL, heartbeat_utc timestamptz NULL, " +
        " worker text NULL, attempts integer NOT NULL DEFAULT 0, PRIMARY KEY (study_id, number));" +
        // The claim reads the lowest waiting number; without this index it walks every finished row first.
        "CREATE INDEX mlwb_trials_waiting ON mlwb_trials (study_id, number) WHERE state = 'Queued';" +
        "CREATE INDEX mlwb_trials_running ON mlwb_trials (study_id, heartbeat_utc) WHERE state = 'Running';",
        // 1 → 2: each trial row says which transaction changed it last, so that a worker reloads only what changed
        // (LoadChangedTrialsAsync). The transaction id is 64 bits (xid8), so it never wraps around.
        "ALTER TABLE mlwb_trials ADD COLUMN changed bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);" +
        "CREATE INDEX mlwb_trials_changed ON mlwb_trials (study_id, changed);",
        // 2 → 3: the study's finalize job (refit, results, report), leased like a trial, and the results it wrote, so
        // that any worker can finish the study and 'mlwb report --storage' can render it anywhere.
        "ALTER TABLE mlwb_studies ADD COLUMN finalize_token text NULL, ADD COLUMN finalize_heartbeat timestamptz NULL, " +
        " ADD COLUMN finalize_worker text NULL, ADD COLUMN finalize_attempts integer NOT NULL DEFAULT 0, ADD COLUMN results_json text NULL;",
        // 3 → 4: nothing shared but the database. Content-addressed blobs (SHA-256) in chunks of bytea, the study's data
        // files and outputs (the final model) that point at them, and the artifacts of trials (their validation
        // predictions, which the finalizer's ensemble reads whichever worker ran the trial).
        "CREATE TABLE mlwb_blobs (sha256 text PRIMARY KEY, size bigint NOT NULL, created_utc timestamptz NOT NULL DEFAULT now());" +
        "CREATE TABLE mlwb_blob_chunks (sha256 text NOT NULL REFERENCES mlwb_blobs (sha256) ON DELETE CASCADE, chunk integer NOT NULL, " +
        " data bytea NOT NULL, PRIMARY KEY (sha256, chunk));" +
        "CREATE TABLE mlwb_study_files (study_id bigint NOT NULL REFERENCES mlwb_studies (id) ON DELETE CASCADE, role text NOT NULL, " +
        " path text NOT NULL, sha256 text NOT NULL REFERENCES mlwb_blobs (sha256), size bigint NOT NULL, PRIMARY KEY (study_id, role, path));" +
        "CREATE TABLE mlwb_trial_artifacts (study_id bigint NOT NULL, number integer NOT NULL, name text NOT NULL, " +
        " sha256 text NOT NULL REFERENCES mlwb_blobs (sha256), PRIMARY KEY (study_id, number, name), " +
        " FOREIGN KEY (study_id, number) REFERENCES mlwb_trials (study_id, number) ON DELETE CASCADE);",
    ];

    // Every write of a trial but a heartbeat marks the row with its transaction (see LoadChangedTrialsAsync).
    private const string Changed = "changed = pg_current_xact_id()::text::bigint";

    private readonly NpgsqlDataSource _source;
    private readonly PostgresStoreSettings _settings;
    private readonly string _where;
    private long? _studyId;
    private string? _studyName;
    private bool _schemaChecked;

    /// <summary>
    /// A store on the database of <paramref name="connection"/>: an Npgsql connection string
    /// (<c>Host=db;Database=mlwb;Username=mlwb;Password=…</c>) or a <c>postgresql://user:password@host:port/database</c>
    /// URI. Nothing is contacted until <see cref="OpenAsync"/>.
    /// </summary>
    /// <exception cref="WorkbenchInputException">The connection string cannot be read.</exception>
    public PostgresStudyStore(string connection, PostgresStoreSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        _settings = settings ?? new PostgresStoreSettings();
        if (_settings.GracePeriod <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(settings), "GracePeriod must be positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(_settings.MaxAttempts, 1, nameof(settings));
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(ToConnectionString(connection));
        }
        catch (ArgumentException ex)
        {
            throw new WorkbenchInputException($"The storage '{Redact(connection)}' is not a PostgreSQL connection string or postgresql:// URI ({ex.Message}).", ex);
        }
        _where = $"the PostgreSQL database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}";
        Location = $"postgresql://{builder.Host}:{builder.Port}/{builder.Database}";
        _source = NpgsqlDataSource.Create(builder);
    }

    /// <inheritdoc />
    /// <remarks>The server and database, without user or password.</remarks>
    public string? Location { get; }

    /// <summary>The settings this store runs with.</summary>
    public PostgresStoreSettings Settings => _settings;

    /// <summary>True when <paramref name="storage"/> names a PostgreSQL database (a URI or a connection string), not a SQLite file.</summary>
    public static bool IsConnectionString(string storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || storage.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
            (storage.Contains('=', StringComparison.Ordinal) && storage.Contains("host", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The Npgsql connection string for <paramref name="storage"/>: a <c>postgresql://user:password@host:port/database?key=value</c>
    /// URI becomes keywords (query keys pass through, e.g. <c>sslmode=require</c>); anything else is returned as it is.
    /// </summary>
    public static string ToConnectionString(string storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        if (!storage.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) && !storage.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            return storage;
        if (!Uri.TryCreate(storage, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException("the URI must look like postgresql://user:password@host:port/database");
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            builder[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
        }
        return builder.ConnectionString;
    }

    /// <summary><paramref name="storage"/> without its password, for messages.</summary>
    private static string Redact(string storage) =>
        System.Text.RegularExpressions.Regex.Replace(storage, @"(?i)(password\s*=\s*)[^;]*|(://[^:/@]*:)[^@]*@", m => m.Groups[1].Success ? m.Groups[1].Value + "***" : m.Groups[2].Value + "***@");

    /// <inheritdoc />
    public Task OpenAsync(string name, string fingerprint, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(fingerprint);
        return InTransactionAsync(open: false, async (connection, transaction) =>
        {
            // Two workers opening a new study at once: the unique name lets one insert; the other reads its row.
            await using (var insert = Command(connection, transaction,
                "INSERT INTO mlwb_studies (name, fingerprint) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;", name, fingerprint))
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var select = Command(connection, transaction, "SELECT id, fingerprint FROM mlwb_studies WHERE name = $1;", name);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var (id, stored) = (reader.GetInt64(0), reader.GetString(1));
            if (!string.Equals(stored, fingerprint, StringComparison.Ordinal))
                throw new WorkbenchInputException(
                    $"The study '{name}' in {_where} was started with different settings ({SqliteStudyStore.Differences(stored, fingerprint)}), " +
                    "so its trials are not comparable: use another study name, or run this worker with the study's own settings.");
            // Unlike SQLite's single writer, a running trial here may belong to a live worker: only stale ones are queued again.
            (_studyId, _studyName) = (id, name);
            return 0;
        }, cancellationToken);
    }

    /// <summary>
    /// The settings of the study called <paramref name="name"/> as its creator recorded them (<see cref="SetSpecAsync"/>),
    /// so that a worker can rebuild the same search; null when the study does not exist or recorded none.
    /// </summary>
    public Task<string?> GetSpecAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return InTransactionAsync(open: false, async (connection, transaction) =>
        {
            await using var select = Command(connection, transaction, "SELECT spec FROM mlwb_studies WHERE name = $1;", name);
            return await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }, cancellationToken);
    }

    /// <summary>Records <paramref name="spec"/> (how to rebuild the search, e.g. its command line) on the open study.</summary>
    public Task SetSpecAsync(string spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using var update = Command(connection, transaction, "UPDATE mlwb_studies SET spec = $1 WHERE id = $2;", spec, _studyId);
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Queues stale trials again first, so that what is returned shows them as claimable.</remarks>
    public Task<IReadOnlyList<StoredTrial>> LoadTrialsAsync(CancellationToken cancellationToken = default) =>
        InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await RequeueStaleAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            var trials = new List<StoredTrial>();
            await using var select = Command(connection, transaction, $"SELECT {TrialColumns} FROM mlwb_trials WHERE study_id = $1 ORDER BY number;", _studyId);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                trials.Add(ReadTrial(reader));
            return (IReadOnlyList<StoredTrial>)trials;
        }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// The mark is the oldest transaction still running when the rows were read (the snapshot's xmin): every transaction
    /// older than it had ended, so its writes were read; a row written by a younger one carries an id at or above the mark
    /// and is read again next time (perhaps twice, never missed). Stale trials are queued again first, as in
    /// <see cref="LoadTrialsAsync"/>.
    /// </remarks>
    public Task<(IReadOnlyList<StoredTrial> Trials, long? Mark)> LoadChangedTrialsAsync(long? since, CancellationToken cancellationToken = default) =>
        InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await RequeueStaleAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            long mark;
            await using (var snapshot = Command(connection, transaction, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint;"))
                mark = Convert.ToInt64(await snapshot.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            var trials = new List<StoredTrial>();
            await using var select = Command(connection, transaction,
                $"SELECT {TrialColumns} FROM mlwb_trials WHERE study_id = $1 AND changed >= $2 ORDER BY number;", _studyId, since ?? long.MinValue);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                trials.Add(ReadTrial(reader));
            return ((IReadOnlyList<StoredTrial>)trials, (long?)mark);
        }, cancellationToken);

    /// <inheritdoc />
    public Task<double> GetSpentSecondsAsync(CancellationToken cancellationToken = default) =>
        InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using var select = Command(connection, transaction, "SELECT spent_seconds FROM mlwb_studies WHERE id = $1;", _studyId);
            return Convert.ToDouble(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }, cancellationToken);

    /// <inheritdoc />
    public Task AddSpentSecondsAsync(double seconds, CancellationToken cancellationToken = default)
    {
        if (!(seconds >= 0)) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "must be zero or more");
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using var update = Command(connection, transaction, "UPDATE mlwb_studies SET spent_seconds = spent_seconds + $1 WHERE id = $2;", seconds, _studyId);
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken, durable: false); // a crash that loses it gives the study a fraction of a second more
    }

    /// <inheritdoc />
    /// <remarks>
    /// The number comes from the study's counter row, whose lock is held until the trial is inserted, so numbers are
    /// unique and leave no gap even when <paramref name="propose"/> throws (the transaction rolls back). Every worker's
    /// new trial waits for that lock, and a durable commit would hold it through the WAL flush, so that the disk's flush
    /// time would bound the trials per second of the whole study (measured: about 17/s at load 20). The commit does not
    /// wait for the flush: a server crash that loses the new trial also loses its number, so the worker's heartbeat or
    /// finish is refused and it stops the trial, and the number is handed out again — a trial is run again, none is lost.
    /// </remarks>
    public async Task<TrialLease> CreateTrialAsync(Func<int, TrialConfig> propose, CancellationToken cancellationToken = default) =>
        (await CreateTrialBelowAsync(propose, int.MaxValue, cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc />
    /// <remarks>The counter row is read and moved under its lock, so the limit holds whatever the number of workers.</remarks>
    public Task<TrialLease?> CreateTrialBelowAsync(Func<int, TrialConfig> propose, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(propose);
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            if (await NextNumberAsync(connection, transaction, cancellationToken, limit).ConfigureAwait(false) is not { } number) return null;
            var config = propose(number) ?? throw new InvalidOperationException("The sampler proposed no configuration.");
            var lease = new TrialLease(number, config, NewToken());
            await InsertAsync(connection, transaction, number, config, TrialState.Running, lease.Token, cancellationToken).ConfigureAwait(false);
            return (TrialLease?)lease;
        }, cancellationToken, durable: false);
    }

    /// <inheritdoc />
    public Task<int> EnqueueAsync(TrialConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        SqliteStudyStore.WriteParameters(config.Parameters); // an unsupported value fails before anything is written
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            var number = (await NextNumberAsync(connection, transaction, cancellationToken).ConfigureAwait(false))!.Value;
            await InsertAsync(connection, transaction, number, config, TrialState.Queued, null, cancellationToken).ConfigureAwait(false);
            return number;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Stale trials are queued again first. <c>SKIP LOCKED</c> lets concurrent workers take different rows instead of
    /// waiting on (or deadlocking over) the same one; each queued trial is claimed by exactly one worker.
    /// </remarks>
    public Task<TrialLease?> ClaimQueuedAsync(CancellationToken cancellationToken = default) =>
        InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await RequeueStaleAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            var token = NewToken();
            await using var claim = Command(connection, transaction,
                "WITH next AS (SELECT number FROM mlwb_trials WHERE study_id = $1 AND state = 'Queued' ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED) " +
                // A promoted trial keeps the steps of its rungs so far (a dead worker's trial was cleared when it was queued again).
                "UPDATE mlwb_trials t SET state = 'Running', lease_token = $2, heartbeat_utc = clock_timestamp(), finished_utc = clock_timestamp(), " +
                $" worker = $3, attempts = t.attempts + 1, {Changed} " +
                "FROM next WHERE t.study_id = $1 AND t.number = next.number RETURNING t.number, t.trainer, t.parameters_json, t.fold_metrics_json, t.seconds;",
                _studyId, token, _settings.Worker);
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
            return (TrialLease?)new TrialLease(reader.GetInt32(0), new TrialConfig(reader.GetString(1), SqliteStudyStore.ReadParameters(reader.GetString(2))), token)
            {
                Carried = SqliteStudyStore.ReadFoldMetrics(reader.GetString(3)), CarriedSeconds = reader.GetDouble(4),
            };
        }, cancellationToken);

    /// <summary>
    /// Queues again every running trial of the open study whose heartbeat is older than the grace period, or fails it
    /// when it has been started <see cref="PostgresStoreSettings.MaxAttempts"/> times; returns how many were touched.
    /// Any worker may call it at any time: the rows are updated in one statement, so two workers cannot both take one.
    /// </summary>
    public Task<int> RequeueStaleAsync(CancellationToken cancellationToken = default) =>
        InTransactionAsync(open: true, (connection, transaction) => RequeueStaleAsync(connection, transaction, cancellationToken), cancellationToken);

    private async Task<int> RequeueStaleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // SKIP LOCKED: a row another worker is finishing or reaping right now is left to it.
        await using var requeue = Command(connection, transaction,
            "WITH stale AS (SELECT number FROM mlwb_trials WHERE study_id = $1 AND state = 'Running' " +
            " AND heartbeat_utc < clock_timestamp() - $2 FOR UPDATE SKIP LOCKED) " +
            "UPDATE mlwb_trials t SET " +
            " state = CASE WHEN t.attempts >= $3 THEN 'Failed' ELSE 'Queued' END, " +
            " reason = CASE WHEN t.attempts >= $3 THEN 'its worker stopped sending heartbeats on each of its ' || t.attempts || ' attempts (last: ' || COALESCE(t.worker, '?') || ')' " +
            "  ELSE 'attempt ' || t.attempts || ' on ' || COALESCE(t.worker, '?') || ' stopped sending heartbeats; queued again' END, " +
            $" lease_token = NULL, heartbeat_utc = NULL, finished_utc = clock_timestamp(), {Changed}, " +
            " fold_metrics_json = CASE WHEN t.attempts >= $3 THEN t.fold_metrics_json ELSE '[]' END " +
            "FROM stale WHERE t.study_id = $1 AND t.number = stale.number;",
            _studyId, _settings.GracePeriod, _settings.MaxAttempts);
        return await requeue.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // A lease is valid while its trial runs under its token and its heartbeat is within the grace period: past it, the
    // trial counts as dead even before someone queues it again, so a paused worker's late result is never written.
    private const string Leased = "WHERE study_id = $1 AND number = $2 AND state = 'Running' AND lease_token = $3 AND heartbeat_utc >= clock_timestamp() - $4";

    /// <summary>
    /// Keeps <paramref name="lease"/> alive while work outside a <see cref="Study"/> runs under it (a suite's job): a
    /// heartbeat every <paramref name="interval"/> until <paramref name="stop"/>, a failed one tried again at the next;
    /// cancels <paramref name="lost"/> when the lease has expired, so that the work stops and writes nothing.
    /// </summary>
    public Task KeepAliveAsync(TrialLease lease, TimeSpan interval, CancellationTokenSource lost, CancellationToken stop) =>
        LeaseHeartbeat.RunAsync(beat => HeartbeatAsync(lease, beat), interval, lost, stop);

    /// <inheritdoc />
    public Task<bool> HeartbeatAsync(TrialLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using var beat = Command(connection, transaction, $"UPDATE mlwb_trials SET heartbeat_utc = clock_timestamp() {Leased};", Lease(lease));
            return await beat.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken, durable: false);
    }

    /// <inheritdoc />
    public Task<bool> ReportAsync(TrialLease lease, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            List<IReadOnlyDictionary<string, double>> steps;
            await using (var select = Command(connection, transaction, $"SELECT fold_metrics_json FROM mlwb_trials {Leased} FOR UPDATE;", Lease(lease)))
            {
                if (await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not string json) return false;
                steps = SqliteStudyStore.ReadFoldMetrics(json);
            }
            if (step > steps.Count) throw new ArgumentOutOfRangeException(nameof(step), $"Trial {lease.Number} has {steps.Count} steps; step {step} cannot come next.");
            if (step == steps.Count) steps.Add(metrics);
            else steps[step] = metrics;
            await using var update = Command(connection, transaction,
                $"UPDATE mlwb_trials SET fold_metrics_json = $5, heartbeat_utc = clock_timestamp(), {Changed} {Leased};", [.. Lease(lease), SqliteStudyStore.WriteFoldMetrics(steps)]);
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken, durable: false);
    }

    /// <inheritdoc />
    public Task<bool> FinishAsync(TrialLease lease, StoredTrial trial, CancellationToken cancellationToken = default)
    {
        StoredTrials.CheckFinishing(lease, trial);
        var folds = SqliteStudyStore.WriteFoldMetrics(trial.FoldMetrics);
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using var finish = Command(connection, transaction,
                "UPDATE mlwb_trials SET state = $5, score = $6, fold_metrics_json = $7, seconds = $8, reason = $9, finished_utc = $10, " +
                $"lease_token = NULL, heartbeat_utc = NULL, {Changed} {Leased};",
                [.. Lease(lease), trial.State.ToString(), trial.Score, folds, trial.Seconds, trial.Reason, trial.FinishedUtc.ToUniversalTime()]);
            return await finish.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public bool QueuesPromotions => true;

    /// <inheritdoc />
    /// <remarks>
    /// Each rung job gets its own <see cref="PostgresStoreSettings.MaxAttempts"/> starts (attempts start again at 0): a
    /// promotion is not a failed start. A rung job whose worker dies is queued again without the carried steps, so the
    /// trial starts again from its first rung (nothing is lost; the earlier rungs run again).
    /// </remarks>
    public Task<bool> PromoteAsync(TrialLease lease, double seconds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (!(seconds >= 0)) throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "must be zero or more");
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using var promote = Command(connection, transaction,
                "UPDATE mlwb_trials SET state = 'Queued', seconds = $5, reason = 'promoted to its next rung by ' || COALESCE(worker, '?'), " +
                $"attempts = 0, lease_token = NULL, heartbeat_utc = NULL, finished_utc = clock_timestamp(), {Changed} {Leased};", [.. Lease(lease), seconds]);
            return await promote.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task SaveTrialAsync(StoredTrial trial, CancellationToken cancellationToken = default)
    {
        StoredTrials.Check(trial);
        var parameters = SqliteStudyStore.WriteParameters(trial.Config.Parameters);
        var folds = SqliteStudyStore.WriteFoldMetrics(trial.FoldMetrics);
        return InTransactionAsync(open: true, async (connection, transaction) =>
        {
            // Keeps the counter ahead of every number, so that a saved trial is never numbered again.
            await using (var counter = Command(connection, transaction,
                "UPDATE mlwb_studies SET next_number = GREATEST(next_number, $2 + 1) WHERE id = $1 RETURNING next_number;", _studyId, trial.Number))
                await counter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using (var running = Command(connection, transaction,
                "SELECT 1 FROM mlwb_trials WHERE study_id = $1 AND number = $2 AND state = 'Running' FOR UPDATE;", _studyId, trial.Number))
            {
                if (await running.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                    throw new InvalidOperationException($"Trial {trial.Number} of the study '{_studyName}' is running under a lease; only its holder can finish it.");
            }
            await using var upsert = Command(connection, transaction,
                "INSERT INTO mlwb_trials (study_id, number, trainer, parameters_json, state, score, fold_metrics_json, seconds, reason, finished_utc, worker, attempts) " +
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) " +
                "ON CONFLICT (study_id, number) DO UPDATE SET trainer = excluded.trainer, parameters_json = excluded.parameters_json, " +
                "state = excluded.state, score = excluded.score, fold_metrics_json = excluded.fold_metrics_json, seconds = excluded.seconds, " +
                "reason = excluded.reason, finished_utc = excluded.finished_utc, worker = excluded.worker, attempts = excluded.attempts, " +
                $"lease_token = NULL, heartbeat_utc = NULL, {Changed};",
                _studyId, trial.Number, trial.Config.Trainer, parameters, trial.State.ToString(), trial.Score, folds, trial.Seconds, trial.Reason,
                trial.FinishedUtc.ToUniversalTime(), trial.Worker, trial.Attempts);
            return await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>
    /// Runs the open study's finalize job (the refit of the best trial, the results and the report) in exactly one process
    /// of all that call this: the job is a row claimed like a trial, under a lease token and a heartbeat on the database
    /// clock. It can be claimed once no trial of the study runs under a live lease (trials of dead workers are queued again
    /// first; queued trials do not hold it back, since a study whose budget is spent never runs them) and no other process
    /// holds a live claim. While another process holds it, this one waits; when that one's heartbeat is older than
    /// <see cref="PostgresStoreSettings.GracePeriod"/> (it died), this one claims it (up to
    /// <see cref="PostgresStoreSettings.MaxAttempts"/> starts). <paramref name="job"/> returns the results' JSON, which is
    /// stored on the study only under a valid claim (<see cref="GetResultsAsync"/>); its token is cancelled when the claim is lost.
    /// </summary>
    /// <param name="job">Does the work and returns the results as JSON.</param>
    /// <param name="heartbeatInterval">How often the claim is renewed while the job runs, and how often a waiting process looks again (at most a second).</param>
    /// <param name="cancellationToken">Stops waiting (and the job).</param>
    /// <returns>True when this process did the job and its results were stored; false when another process did it.</returns>
    /// <exception cref="WorkbenchInputException">The job was started <see cref="PostgresStoreSettings.MaxAttempts"/> times and never finished.</exception>
    public Task<bool> FinalizeAsync(Func<CancellationToken, Task<string>> job, TimeSpan heartbeatInterval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return FinalizeWithOutputsAsync(async lost => (await job(lost).ConfigureAwait(false), []), heartbeatInterval, cancellationToken);
    }

    /// <summary>
    /// <see cref="FinalizeAsync"/> for a job that also returns the paths of its outputs (the final model): they are kept
    /// in the database with the results, under the same claim, so that <see cref="WriteOutputsAsync"/> (and
    /// <c>mlwb report --storage</c>) gives them on any machine.
    /// </summary>
    /// <param name="job">Does the work and returns the results as JSON and the files to keep (missing ones are skipped).</param>
    /// <param name="heartbeatInterval">How often the claim is renewed while the job runs, and how often a waiting process looks again (at most a second).</param>
    /// <param name="cancellationToken">Stops waiting (and the job).</param>
    /// <returns>True when this process did the job and its results were stored; false when another process did it.</returns>
    public async Task<bool> FinalizeWithOutputsAsync(Func<CancellationToken, Task<(string Results, IReadOnlyList<string> Outputs)>> job, TimeSpan heartbeatInterval,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (heartbeatInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(heartbeatInterval), "The heartbeat interval must be positive.");
        var poll = heartbeatInterval < TimeSpan.FromSeconds(1) ? heartbeatInterval : TimeSpan.FromSeconds(1);
        while (true)
        {
            var (token, done) = await ClaimFinalizeAsync(cancellationToken).ConfigureAwait(false);
            if (done) return false;
            if (token is null)
            {
                await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
                continue;
            }
            using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var stopBeating = new CancellationTokenSource();
            var beating = BeatFinalizeAsync(token, heartbeatInterval, lost, stopBeating.Token);
            string results;
            IReadOnlyList<(string Role, string Path, string Sha256, long Size)> outputs;
            try
            {
                (results, var paths) = await job(lost.Token).ConfigureAwait(false);
                outputs = await UploadOutputsAsync(paths, lost.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The claim ran out (this process was paused or cut off): another process has it or will take it.
                continue;
            }
            finally
            {
                await stopBeating.CancelAsync().ConfigureAwait(false);
                await beating.ConfigureAwait(false);
            }
            if (await CompleteFinalizeAsync(token, results, outputs, cancellationToken).ConfigureAwait(false)) return true;
        }
    }

    /// <summary>
    /// The results a study's finalize job stored (<see cref="FinalizeAsync"/>), and how many of its trials are running and
    /// queued; null when there is no study called <paramref name="name"/>. Results are null until the study is finalized.
    /// </summary>
    public Task<(string? Results, int Running, int Queued)?> GetResultsAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return InTransactionAsync(open: false, async (connection, transaction) =>
        {
            await using var select = Command(connection, transaction,
                "SELECT s.results_json, " +
                " (SELECT count(*) FROM mlwb_trials t WHERE t.study_id = s.id AND t.state = 'Running')::integer, " +
                " (SELECT count(*) FROM mlwb_trials t WHERE t.study_id = s.id AND t.state = 'Queued')::integer " +
                "FROM mlwb_studies s WHERE s.name = $1;", name);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return ((string?, int, int)?)null;
            return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2));
        }, cancellationToken);
    }

    // The claim on the study's finalize job is valid while its heartbeat is within the grace period, as a trial's lease is.
    private const string FinalizeLeased = "WHERE id = $1 AND finalize_token = $2 AND results_json IS NULL AND finalize_heartbeat >= clock_timestamp() - $3";

    /// <summary>Claims the finalize job: its token, or null with whether the study is already finalized.</summary>
    private Task<(string? Token, bool Done)> ClaimFinalizeAsync(CancellationToken cancellationToken) =>
        InTransactionAsync(open: true, async (connection, transaction) =>
        {
            // The study row's lock makes the claim one process's: a second claimer waits for the first's commit, then sees its
            // token. It is taken before any trial row, in the order every other writer of both takes them (no deadlock).
            await using (var lockStudy = Command(connection, transaction, "SELECT 1 FROM mlwb_studies WHERE id = $1 FOR UPDATE;", _studyId))
                await lockStudy.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await RequeueStaleAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await using (var select = Command(connection, transaction,
                "SELECT results_json IS NOT NULL, COALESCE(finalize_heartbeat >= clock_timestamp() - $2, false), finalize_attempts, " +
                " EXISTS (SELECT 1 FROM mlwb_trials t WHERE t.study_id = mlwb_studies.id AND t.state = 'Running') " +
                "FROM mlwb_studies WHERE id = $1;", _studyId, _settings.GracePeriod))
            {
                await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var (done, held, attempts, running) = (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetInt32(2), reader.GetBoolean(3));
                if (done) return ((string?)null, true);
                if (held || running) return (null, false);
                if (attempts >= _settings.MaxAttempts)
                    throw new WorkbenchInputException($"The study '{_studyName}' in {_where} was finalized {attempts} times and each finalizer died or lost its claim: " +
                        "look at the workers' logs (a refit that runs out of memory?), then run 'mlwb report --storage' once the cause is fixed.");
            }
            var token = NewToken();
            await using var claim = Command(connection, transaction,
                "UPDATE mlwb_studies SET finalize_token = $2, finalize_heartbeat = clock_timestamp(), finalize_worker = $3, finalize_attempts = finalize_attempts + 1 WHERE id = $1;",
                _studyId, token, _settings.Worker);
            await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return ((string?)token, false);
        }, cancellationToken);

    /// <summary>Renews the finalize claim every <paramref name="interval"/> until <paramref name="stop"/>; cancels <paramref name="lost"/> when it is gone.</summary>
    private Task BeatFinalizeAsync(string token, TimeSpan interval, CancellationTokenSource lost, CancellationToken stop) =>
        LeaseHeartbeat.RunAsync(beat => InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction,
                $"UPDATE mlwb_studies SET finalize_heartbeat = clock_timestamp() {FinalizeLeased};", _studyId, token, _settings.GracePeriod);
            return await command.ExecuteNonQueryAsync(beat).ConfigureAwait(false) == 1;
        }, beat, durable: false), interval, lost, stop);

    /// <summary>Stores the results under a valid claim; false (nothing written) when the claim was lost.</summary>
    private Task<bool> CompleteFinalizeAsync(string token, string results, IReadOnlyList<(string Role, string Path, string Sha256, long Size)> outputs,
        CancellationToken cancellationToken) =>
        InTransactionAsync(open: true, async (connection, transaction) =>
        {
            await using (var complete = Command(connection, transaction,
                $"UPDATE mlwb_studies SET results_json = $4, finalize_heartbeat = NULL {FinalizeLeased};", _studyId, token, _settings.GracePeriod, results))
                if (await complete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1) return false;
            await LinkAsync(connection, transaction, [OutputRole], outputs, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>Closes the pool; connections in use are closed when returned.</summary>
    public void Dispose() => _source.Dispose();

    private object?[] Lease(TrialLease lease) => [_studyId, lease.Number, lease.Token, _settings.GracePeriod];

    private static string NewToken() => Guid.NewGuid().ToString("N");


    /// <summary>Takes the study's next trial number; null when it would be <paramref name="limit"/> or more.</summary>
    private async Task<int?> NextNumberAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken,
        int limit = int.MaxValue)
    {
        await using var next = Command(connection, transaction,
            "UPDATE mlwb_studies SET next_number = next_number + 1 WHERE id = $1 AND next_number < $2 RETURNING next_number - 1;", _studyId, limit);
        return await next.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } number ? Convert.ToInt32(number, CultureInfo.InvariantCulture) : null;
    }

    private async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int number, TrialConfig config, TrialState state, string? token,
        CancellationToken cancellationToken)
    {
        var running = token is not null;
        await using var insert = Command(connection, transaction,
            "INSERT INTO mlwb_trials (study_id, number, trainer, parameters_json, state, finished_utc, lease_token, heartbeat_utc, worker, attempts) " +
            "VALUES ($1, $2, $3, $4, $5, clock_timestamp(), $6, CASE WHEN $6::text IS NULL THEN NULL ELSE clock_timestamp() END, $7, $8);",
            _studyId, number, config.Trainer, SqliteStudyStore.WriteParameters(config.Parameters), state.ToString(), token,
            running ? _settings.Worker : null, running ? 1 : 0);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private StoredTrial ReadTrial(NpgsqlDataReader reader)
    {
        var number = reader.GetInt32(0);
        try
        {
            return new StoredTrial(
                number,
                new TrialConfig(reader.GetString(1), SqliteStudyStore.ReadParameters(reader.GetString(2))),
                Enum.Parse<TrialState>(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetDouble(4),
                SqliteStudyStore.ReadFoldMetrics(reader.GetString(5)),
                reader.GetDouble(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9))
            {
                Worker = reader.IsDBNull(10) ? null : reader.GetString(10),
                Attempts = reader.GetInt32(11),
            };
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            throw new WorkbenchInputException($"Trial {number} of the study '{_studyName}' in {_where} cannot be read ({ex.Message}): use another study name.", ex);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one read-committed transaction on a pooled connection; creates or migrates the schema
    /// on the first call; turns connection failures into one sentence for the user. A transaction that is not
    /// <paramref name="durable"/> commits without waiting for its WAL to reach the disk (<c>synchronous_commit = off</c>):
    /// for heartbeats, step reports, spent seconds and new trials, whose loss in a server crash is harmless — the database
    /// stays consistent and only its last fraction of a second is lost, so at worst a lease looks older than it is or is
    /// gone (the trial is run again), a step is reported again or the budget gets a moment more; results, claims and
    /// queued work stay durable.
    /// </summary>
    private async Task<T> InTransactionAsync<T>(bool open, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken,
        bool durable = true)
    {
        if (open && _studyId is null)
            throw new InvalidOperationException($"No study is open in {_where}: call {nameof(OpenAsync)} first.");
        try
        {
            await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            if (!_schemaChecked)
            {
                await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
                _schemaChecked = true;
            }
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (!durable)
            {
                await using var fast = Command(connection, transaction, "SET LOCAL synchronous_commit = off;");
                await fast.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var result = await work(connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (NpgsqlException ex) when (ex is not PostgresException || ((PostgresException)ex).SqlState.StartsWith("28", StringComparison.Ordinal) ||
                                         ((PostgresException)ex).SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // Class 28: authentication; 3D000: no such database; no PostgresException at all: the server cannot be reached.
            throw new WorkbenchInputException($"The study store at {_where} cannot be used ({ex.Message.ReplaceLineEndings(" ")}): check the connection string, " +
                "that the server is running and that the user may connect.", ex);
        }
    }

    /// <summary>
    /// Creates the tables, or upgrades them from an older version, under a transaction-scoped advisory lock, so that workers
    /// starting together migrate once; refuses a database whose schema is newer than <see cref="SchemaVersion"/>.
    /// </summary>
    private async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = Command(connection, transaction, "SELECT pg_advisory_xact_lock($1);", MigrationLockKey))
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using (var create = Command(connection, transaction, "CREATE TABLE IF NOT EXISTS mlwb_schema (version integer NOT NULL);"))
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        int version;
        await using (var select = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM mlwb_schema;"))
            version = Convert.ToInt32(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
            throw new WorkbenchInputException(
                $"The study store at {_where} has schema version {version}, newer than the {SchemaVersion} this MLWorkbench reads: " +
                "upgrade MLWorkbench on this worker (every worker of a study must run a version that knows its schema).");
        for (var from = version; from < SchemaVersion; from++)
        {
            await using var migrate = Command(connection, transaction, Migrations[from]);
            await migrate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (version < SchemaVersion)
        {
            await using (var clear = Command(connection, transaction, "DELETE FROM mlwb_schema;"))
                await clear.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var record = Command(connection, transaction, "INSERT INTO mlwb_schema (version) VALUES ($1);", SchemaVersion);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params object?[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in parameters)
        {
            command.Parameters.Add(value switch
            {
                // Untyped: the server infers the column's type (a text-typed null would not fit a double column).
                null => new NpgsqlParameter { Value = DBNull.Value },
                double d => new NpgsqlParameter<double> { TypedValue = d },
                _ => new NpgsqlParameter { Value = value },
            });
        }
        return command;
    }
}
