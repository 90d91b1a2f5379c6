using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Samples.Tests;

public class AddWorkbenchModelTests
{
    private static readonly IReadOnlyDictionary<string, string?> Row = new Dictionary<string, string?> { ["x1"] = "0.25", ["x2"] = "0.5", ["colour"] = "red" };

    private sealed class CapturingLogger(ConcurrentQueue<(LogLevel, string)> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((logLevel, formatter(state, exception)));
        public void Dispose() { }
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task The_pool_serves_registered_models_and_logs_reloads()
    {
        using var dir = new TempFolder();
        var csv = TinyModels.Csv(dir.Path);
        var path = await TinyModels.TrainAsync(csv, "sdca", Path.Combine(dir.Path, "price.mlwb"));
        var next = await TinyModels.TrainAsync(csv, "lightgbm", Path.Combine(dir.Path, "next.mlwb"));
        var lines = new ConcurrentQueue<(LogLevel Level, string Text)>();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddProvider(new CapturingLogger(lines)))
            .AddWorkbenchModel("price", path, reloadOnChange: true, reloadDelay: TimeSpan.FromMilliseconds(50))
            .AddWorkbenchModel("fixed", next);
        var e = Assert.Throws<ArgumentException>(() => services.AddWorkbenchModel("price", next));
        Assert.StartsWith("A model named 'price' is already registered.", e.Message);

        var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<WorkbenchModelPool>();
        Assert.Same(pool, provider.GetRequiredService<WorkbenchModelPool>());
        Assert.Equal(["fixed", "price"], pool.Names);
        Assert.Contains(lines, l => l.Level == LogLevel.Information && l.Text == $"Model 'price' loaded from {path}: sdca regression, reload on change: True.");
        var first = pool.Predict("price", Row).Value;

        File.WriteAllText(path + ".incoming", "not a model");
        File.Move(path + ".incoming", path, overwrite: true);
        await WaitUntil(() => lines.Any(l => l.Level == LogLevel.Error), "the refused file is logged");
        Assert.Contains(lines, l => l.Text == $"Model 'price' was not reloaded from {path}: Model file '{path}' is damaged or truncated: it is not a complete .mlwb (zip) file. Version 1 keeps serving.");
        Assert.Equal(first, pool.Predict("price", Row).Value);

        File.Copy(next, path + ".incoming");
        File.Move(path + ".incoming", path, overwrite: true);
        await WaitUntil(() => pool.GetStatus("price").Version == 2, "the new file serves");
        await WaitUntil(() => lines.Any(l => l.Text == $"Model 'price' reloaded from {path}; version 2 now serves."), "the reload is logged");
        Assert.Equal(pool.Predict("fixed", Row).Value, pool.Predict("price", Row).Value);

        await provider.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => pool.Predict("price", Row));
    }

    [Fact]
    public void A_bad_model_file_fails_when_the_pool_is_resolved()
    {
        var missing = Path.Combine(Path.GetTempPath(), "mlwb-none-" + Guid.NewGuid().ToString("N") + ".mlwb");
        using var provider = new ServiceCollection().AddWorkbenchModel("m", missing).BuildServiceProvider();
        var e = Assert.Throws<WorkbenchInputException>(() => provider.GetRequiredService<WorkbenchModelPool>());
        Assert.Equal($"Model file '{missing}' does not exist.", e.Message);
    }
}
