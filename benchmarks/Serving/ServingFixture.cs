using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLWorkbench.Experiments;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Benchmarks.Serving;

/// <summary>
/// LightGBM at ML.NET's defaults (100 trees) on datasets/ames (2,930 rows × 73 columns → Sale_Price), trained by a
/// one-candidate comparison (<see cref="Workbench.Prepare"/>, its training rows) and saved once as a bundle under
/// benchmarks/out/serving/, and the pieces every benchmark compares: the rows as text, the model, the pool, and a bare
/// ML.NET PredictionEngine over the same saved transformer.
/// </summary>
internal sealed class ServingFixture : IDisposable
{
    public const string ModelName = "ames";

    private ServingFixture(string path, (IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows) data, int featureCount)
    {
        Path = path;
        Rows = data.Rows.Select(r => (IReadOnlyDictionary<string, string?>)data.Columns.Zip(r).ToDictionary(p => p.First, p => (string?)p.Second)).ToArray();
        Model = WorkbenchModel.Load(path);
        Pool = new WorkbenchModelPool();
        Pool.Add(ModelName, path);
        FeatureCount = featureCount;
        Encoded = Rows.Select(Model.EncodeFeatures).ToArray();
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, string?>[] Rows { get; }
    public float[][] Encoded { get; }
    public WorkbenchModel Model { get; }
    public WorkbenchModelPool Pool { get; }
    public int FeatureCount { get; }

    public static ServingFixture Create()
    {
        var root = FindRoot();
        var csv = System.IO.Path.Combine(root, "datasets", "ames", "ames.csv");
        var path = System.IO.Path.Combine(root, "benchmarks", "out", "serving", "ames-lightgbm.mlwb");
        var data = Workbench.ReadCsv(csv);
        if (!File.Exists(path))
            FamiliesProbe.TrainAsync(new ExperimentSpec
            {
                Name = ModelName, Task = TaskKind.Regression, DataPath = csv, Label = "Sale_Price", Device = ComputeDevice.Cpu,
                Candidates = ["lightgbm"], ModelPath = path, // ML.NET defaults, 100 trees
            }).GetAwaiter().GetResult();
        using var probe = WorkbenchModel.Load(path);
        return new ServingFixture(path, data, probe.Manifest.FeatureNames.Count);
    }

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MLWorkbench.sln"))) return dir.FullName;
        throw new InvalidOperationException("Run from inside the MLWorkbench repository: MLWorkbench.sln was not found above the current folder.");
    }

    /// <summary>A bare ML.NET PredictionEngine over the bundle's saved transformer: the floor the bundle path is compared with.</summary>
    public BareEngine CreateBareEngine()
    {
        using var zip = ZipFile.OpenRead(Path);
        using var stream = new MemoryStream();
        using (var entry = zip.GetEntry("model/mlnet.zip")!.Open()) entry.CopyTo(stream);
        stream.Position = 0;
        var ml = new MLContext(0);
        var transformer = ml.Model.Load(stream, out _);
        var schema = SchemaDefinition.Create(typeof(BareInput));
        schema[nameof(BareInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
        return new BareEngine(ml.Model.CreatePredictionEngine<BareInput, BareOutput>(transformer, inputSchemaDefinition: schema), FeatureCount);
    }

    public void Dispose()
    {
        Pool.Dispose();
        Model.Dispose();
    }
}

/// <summary>One thread's bare engine: features in, score out, no pooling, no result objects.</summary>
internal sealed class BareEngine(PredictionEngine<BareInput, BareOutput> engine, int width) : IDisposable
{
    private readonly BareInput _input = new() { Features = new float[width] };
    private BareOutput _output = new();

    public float Predict(float[] features)
    {
        features.CopyTo(_input.Features, 0);
        engine.Predict(_input, ref _output);
        return _output.Score;
    }

    public void Dispose() => engine.Dispose();
}

public sealed class BareInput
{
    public float[] Features { get; set; } = [];
}

public sealed class BareOutput
{
    public float Score { get; set; }
}
