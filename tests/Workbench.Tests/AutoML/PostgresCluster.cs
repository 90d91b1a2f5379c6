using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace MLWorkbench.Tests.AutoML;

/// <summary>
/// A test that needs PostgreSQL: a server named by <c>MLWB_TEST_POSTGRES</c> (a connection string whose user may create
/// databases), or a throwaway cluster that <see cref="PostgresCluster"/> starts from the binaries it finds. Where there is
/// neither it is reported as skipped with the reason and the install command, so that a fresh machine with only the .NET
/// SDK passes <c>dotnet test</c>; with <c>CI=true</c> or <c>MLWB_REQUIRE_POSTGRES=1</c> it runs and fails with that sentence.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>Skips the test, with the reason, when PostgreSQL is absent and no one requires it.</summary>
    public PostgresFactAttribute()
    {
        if (!PostgresCluster.Available && !PostgresCluster.Required) Skip = PostgresCluster.MissingMessage;
    }
}

/// <summary>The tests' PostgreSQL, shared by every test class of the collection.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "PostgreSQL";
}

/// <summary>
/// A throwaway PostgreSQL cluster: initdb into a new temporary folder, started with pg_ctl on a free port, listening on
/// 127.0.0.1 only, its unix socket inside that folder; stopped and deleted when disposed (xunit disposes the fixture
/// whether the tests passed or not). initdb refuses to run as root, so as root the cluster runs as the user named by
/// <c>MLWB_POSTGRES_USER</c> (default <c>postgres</c>, which Debian's package creates) through <c>runuser</c>.
/// Each test takes its own database (<see cref="NewDatabaseAsync"/>).
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    public const string InstallCommand = "sudo apt-get install -y postgresql";

    public static readonly string MissingMessage =
        "PostgreSQL was not found (MLWB_TEST_POSTGRES, MLWB_POSTGRES_BIN, /usr/lib/postgresql/*/bin, PATH), so the scale-out store cannot be tested; " +
        $"install it with '{InstallCommand}' (Debian/Ubuntu) or set MLWB_TEST_POSTGRES to a connection string of a user who may create databases.";

    private string? _folder;
    private string? _bin;
    private string? _runAs;
    private Process? _watchdog;

    /// <summary>The administrator's connection string (database <c>postgres</c>).</summary>
    public string AdminConnection { get; private set; } = "";

    /// <summary>True on CI (<c>CI=true</c>) or with <c>MLWB_REQUIRE_POSTGRES=1</c>: a missing server fails the tests there.</summary>
    public static bool Required =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ||
        Environment.GetEnvironmentVariable("MLWB_REQUIRE_POSTGRES") == "1";

    /// <summary>True when a server is configured or the binaries to start one are found.</summary>
    public static bool Available => Environment.GetEnvironmentVariable("MLWB_TEST_POSTGRES") is { Length: > 0 } || FindBinaries() is not null;

    /// <summary>The folder with initdb and pg_ctl: <c>MLWB_POSTGRES_BIN</c>, then Debian's newest version, then PATH.</summary>
    public static string? FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("MLWB_POSTGRES_BIN") is { Length: > 0 } configured)
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var debian = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (debian is not null) return debian;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("MLWB_TEST_POSTGRES") is { Length: > 0 } given)
        {
            AdminConnection = given;
            return;
        }
        _bin = FindBinaries();
        if (_bin is null)
        {
            if (Required) throw new InvalidOperationException(MissingMessage);
            return; // every test is skipped
        }
        _folder = Path.Combine(Path.GetTempPath(), "mlwb-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        if (Environment.IsPrivilegedProcess)
        {
            _runAs = Environment.GetEnvironmentVariable("MLWB_POSTGRES_USER") is { Length: > 0 } user ? user : "postgres";
            await RunAsync("chown", ["-R", _runAs, _folder], asServerUser: false);
        }
        var data = Path.Combine(_folder, "data");
        // trust on 127.0.0.1 only: the server is private to this test run and gone when it ends.
        await RunAsync(Path.Combine(_bin, "initdb"), ["-D", data, "-U", "mlwb", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        var port = FreePort();
        await RunAsync(Path.Combine(_bin, "pg_ctl"),
        [
            "-D", data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={_folder} -c fsync=off -c max_connections=200", "start",
        ]);
        AdminConnection = $"Host=127.0.0.1;Port={port};Username=mlwb;Database=postgres;Pooling=false";
        StartWatchdog();
    }

    /// <summary>
    /// pg_ctl detaches the server, so a test process that is killed (a cancelled run, a crash) would leave it running.
    /// A small shell watches this process and, once it is gone, stops the server and removes its folder: the server
    /// stops by itself whatever happens to the tests.
    /// </summary>
    private void StartWatchdog()
    {
        var stop = (_runAs is null ? "" : $"runuser -u \"$4\" -- ") + "\"$3/pg_ctl\" -D \"$2/data\" -m immediate -w stop";
        var script = $"while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; [ -f \"$2/data/postmaster.pid\" ] && {stop}; rm -rf \"$2\"";
        var start = new ProcessStartInfo("sh")
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in (string[])["-c", script + " >/dev/null 2>&1", "mlwb-pg-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                     _folder!, _bin!, _runAs ?? ""])
            start.ArgumentList.Add(a);
        _watchdog = Process.Start(start);
    }

    /// <summary>A new, empty database for one test; returns its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(AdminConnection))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnection) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_folder is null) return;
        try
        {
            if (File.Exists(Path.Combine(_folder, "data", "postmaster.pid")))
                await RunAsync(Path.Combine(_bin!, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
            if (_watchdog is { HasExited: false }) _watchdog.Kill();
            _watchdog?.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asServerUser = true)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asServerUser && _runAs is not null)
        {
            start.FileName = "runuser";
            foreach (var a in (string[])["-u", _runAs, "--", program]) start.ArgumentList.Add(a);
        }
        else
        {
            start.FileName = program;
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        // pg_ctl's server inherits the pipes; read to the end only from initdb-like commands that close them.
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed ({process.ExitCode}): " +
                (await Task.WhenAny(stderr, Task.Delay(1000)) == stderr ? await stderr : "") + (_folder is null ? "" : ReadLog()));
        _ = stdout;
    }

    private string ReadLog()
    {
        var log = Path.Combine(_folder!, "server.log");
        return File.Exists(log) ? " Server log: " + File.ReadAllText(log) : "";
    }
}
