using BenchmarkDotNet.Attributes;
using MLWorkbench.Serving;

namespace MLWorkbench.Benchmarks.Serving;

/// <summary>Single-row latency and batch throughput of the bundle on one thread.</summary>
[MemoryDiagnoser]
public class SingleThreadBenchmarks
{
    private const int Batch = 1024;
    private ServingFixture _fixture = null!;
    private BareEngine _bare = null!;
    private IReadOnlyDictionary<string, string?>[] _batch = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _fixture = ServingFixture.Create();
        _bare = _fixture.CreateBareEngine();
        _batch = Enumerable.Range(0, Batch).Select(i => _fixture.Rows[i % _fixture.Rows.Length]).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bare.Dispose();
        _fixture.Dispose();
    }

    private int Next() => _next = (_next + 1) % _fixture.Rows.Length;

    /// <summary>ML.NET alone: a PredictionEngine on features encoded beforehand.</summary>
    [Benchmark(Baseline = true)]
    public float BareEngineEncodedRow() => _bare.Predict(_fixture.Encoded[Next()]);

    /// <summary>The bare engine plus encoding the text row (what any caller of the raw engine must also do).</summary>
    [Benchmark]
    public float BareEngineTextRow() => _bare.Predict(_fixture.Model.EncodeFeatures(_fixture.Rows[Next()]));

    /// <summary>WorkbenchModel.Predict: checks and encodes the row, takes a pooled copy, predicts, builds the result.</summary>
    [Benchmark]
    public float? ModelTextRow() => _fixture.Model.Predict(_fixture.Rows[Next()]).Value;

    /// <summary>WorkbenchModelPool.Predict: the above plus the named, reloadable version lookup and its reference count.</summary>
    [Benchmark]
    public float? PoolTextRow() => _fixture.Pool.Predict(ServingFixture.ModelName, _fixture.Rows[Next()]).Value;

    /// <summary>PredictBatch of 1,024 text rows; the time is per row.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int ModelBatchPerRow() => _fixture.Model.PredictBatch(_batch).Count;
}

/// <summary>Throughput on 1 and 2 threads: the pool against a bare engine per thread (both from text rows).</summary>
public class ThreadedBenchmarks
{
    private const int PerThread = 2000;
    private ServingFixture _fixture = null!;
    private BareEngine[] _bare = [];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fixture = ServingFixture.Create();
        _bare = Enumerable.Range(0, Threads).Select(_ => _fixture.CreateBareEngine()).ToArray();
        // Warm every pooled copy the threads will use.
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ => _fixture.Pool.Predict(ServingFixture.ModelName, _fixture.Rows[0]));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var engine in _bare) engine.Dispose();
        _fixture.Dispose();
    }

    private void Run(Action<int, IReadOnlyDictionary<string, string?>> predict)
    {
        var rows = _fixture.Rows;
        if (Threads == 1)
        {
            for (var i = 0; i < PerThread; i++) predict(0, rows[i % rows.Length]);
            return;
        }
        var workers = new Thread[Threads];
        for (var t = 0; t < Threads; t++)
        {
            var thread = t;
            workers[t] = new Thread(() =>
            {
                for (var i = 0; i < PerThread; i++) predict(thread, rows[(thread * 997 + i) % rows.Length]);
            });
            workers[t].Start();
        }
        foreach (var worker in workers) worker.Join();
    }

    /// <summary>One bare engine per thread, fed rows encoded by the model's featurizer.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = PerThread)]
    public void BareEnginePerThread() => Run((t, row) => _bare[t].Predict(_fixture.Model.EncodeFeatures(row)));

    /// <summary>All threads share one WorkbenchModelPool.</summary>
    [Benchmark(OperationsPerInvoke = PerThread)]
    public void SharedPool() => Run((_, row) => _fixture.Pool.Predict(ServingFixture.ModelName, row));
}
