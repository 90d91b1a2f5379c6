using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MLWorkbench.Benchmarks.Serving;

// dotnet run -c Release --project benchmarks/Serving -- latency [calls]     per-call percentiles (median, p99)
// dotnet run -c Release --project benchmarks/Serving -- throughput [rounds]  rows/s on 1 and 2 threads, bare engines vs the pool
// dotnet run -c Release --project benchmarks/Serving -- families [names] [--torch-threads N]  image/text/pair bundles: percentiles, batch rows/s, pool
// dotnet run -c Release --project benchmarks/Serving -- --filter '*'        BenchmarkDotNet: single thread, 1 and 2 threads
// Public API only (WorkbenchModel, WorkbenchModelPool, Workbench.Prepare for the bundles). The batch-path and
// bundle-load probes time internal pieces: they moved to benchmarks/ServingProbes.
if (args.Length > 0 && args[0] == "latency")
{
    LatencyProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 200_000);
    return;
}
if (args.Length > 0 && args[0] == "families")
{
    FamiliesProbe.Run(args.Skip(1).ToArray());
    return;
}
if (args.Length > 0 && args[0] == "throughput")
{
    ThroughputProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 15, TimeSpan.FromSeconds(1));
    return;
}
var config = DefaultConfig.Instance
    // In process: no generated project to build inside the repository's central package settings.
    .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance))
    .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
BenchmarkSwitcher.FromAssembly(typeof(SingleThreadBenchmarks).Assembly).Run(args, config);
