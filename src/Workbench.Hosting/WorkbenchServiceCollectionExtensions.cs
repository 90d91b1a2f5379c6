using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MLWorkbench.Bundles;
using MLWorkbench.Hosting;
using MLWorkbench.Serving;

// In this namespace, like the framework's own Add* methods, so that services.AddWorkbenchModel is found by typing a dot.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <c>.mlwb</c> models for serving through one <see cref="WorkbenchModelPool"/> singleton.</summary>
public static class WorkbenchServiceCollectionExtensions
{
    /// <summary>
    /// Serves the model at <paramref name="path"/> as <paramref name="name"/> from the <see cref="WorkbenchModelPool"/>
    /// singleton, which injects wherever predictions are made (<c>pool.Predict(name, row)</c>, <c>pool.PredictJson(name, json)</c>).
    /// Models load when the pool is first resolved: resolve it at startup to fail fast on a bad file. With
    /// <paramref name="reloadOnChange"/>, a changed file is loaded and checked in the background and swapped in without
    /// dropping requests; each reload, and each refused file (the old model keeps serving), is logged under the category
    /// <c>MLWorkbench.Hosting.WorkbenchModelPool</c>. The container disposes the pool and its models. To hold every model to
    /// other limits or to require signed bundles, register a <see cref="BundleLoadOptions"/> singleton
    /// (<c>services.AddSingleton(new BundleLoadOptions { RequiredSignature = BundleKey.FromFile("public.pem") })</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The name requests use.</param>
    /// <param name="path">The <c>.mlwb</c> file.</param>
    /// <param name="reloadOnChange">Watch the file and reload the model when it changes.</param>
    /// <param name="reloadDelay">How long the file must be quiet before a reload (default <see cref="WorkbenchModelPool.DefaultReloadDelay"/>).</param>
    /// <returns>The service collection, for chaining.</returns>
    /// <exception cref="ArgumentException">The name or path is empty, or a model of that name is already registered.</exception>
    public static IServiceCollection AddWorkbenchModel(this IServiceCollection services, string name, string path, bool reloadOnChange = false, TimeSpan? reloadDelay = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (services.Any(d => d.ServiceType == typeof(WorkbenchModelRegistration) && d.ImplementationInstance is WorkbenchModelRegistration r && r.Name == name))
            throw new ArgumentException($"A model named '{name}' is already registered.", nameof(name));
        services.AddSingleton(new WorkbenchModelRegistration(name, path, reloadOnChange, reloadDelay));
        services.TryAddSingleton(CreatePool);
        return services;
    }

    private static WorkbenchModelPool CreatePool(IServiceProvider provider)
    {
        var logger = provider.GetService<ILoggerFactory>()?.CreateLogger("MLWorkbench.Hosting.WorkbenchModelPool") ?? NullLogger.Instance;
        var pool = provider.GetService<BundleLoadOptions>() is { } options ? new WorkbenchModelPool(options) : new WorkbenchModelPool();
        pool.Reloaded += (_, e) =>
        {
            if (e.Succeeded) PoolLog.Reloaded(logger, e.Name, e.Path, e.Version);
            else PoolLog.ReloadRefused(logger, e.Name, e.Path, e.Error!, e.Version);
        };
        try
        {
            foreach (var registration in provider.GetServices<WorkbenchModelRegistration>())
            {
                pool.Add(registration.Name, registration.Path, registration.ReloadOnChange, registration.ReloadDelay);
                var status = pool.GetStatus(registration.Name);
                PoolLog.Loaded(logger, status.Name, status.Path, status.Manifest.Trainer, status.Manifest.Task, registration.ReloadOnChange);
            }
        }
        catch
        {
            pool.Dispose();
            throw;
        }
        return pool;
    }
}
