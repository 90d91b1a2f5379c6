using MLWorkbench.Models.Onnx;

namespace MLWorkbench.Tests.Bert;

/// <summary>One ONNX Runtime session of the packaged MiniLM, shared by the tests of the "MiniLM" collection.</summary>
public sealed class MiniLmFixture : IDisposable
{
    private readonly Lazy<MiniLmOnnxEncoder> _onnx = new(() => new MiniLmOnnxEncoder());

    internal MiniLmOnnxEncoder Onnx => _onnx.Value;

    public void Dispose()
    {
        if (_onnx.IsValueCreated) _onnx.Value.Dispose();
    }
}

/// <summary>The MiniLM tests run one after another: each uses both cores, and they share one model.</summary>
[CollectionDefinition(Name)]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmFixture>
{
    public const string Name = "MiniLM";
}
