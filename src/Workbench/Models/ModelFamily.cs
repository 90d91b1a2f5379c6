namespace MLWorkbench.Models;

/// <summary>Where a candidate's model comes from.</summary>
internal enum ModelFamily
{
    /// <summary>An ML.NET trainer.</summary>
    MlNet,
    /// <summary>A pretrained ONNX model run by ONNX Runtime.</summary>
    Onnx,
    /// <summary>A network written with TorchSharp.</summary>
    Torch,
    /// <summary>A weighted ensemble of other models, chosen by an AutoML search.</summary>
    Ensemble,
}

/// <summary>File names of model families.</summary>
internal static class ModelFamilyNames
{
    /// <summary>The name used in results files: <c>mlnet</c>, <c>onnx</c>, <c>torch</c> or <c>ensemble</c>.</summary>
    public static string ToName(this ModelFamily family) => family switch
    {
        ModelFamily.MlNet => "mlnet",
        ModelFamily.Onnx => "onnx",
        ModelFamily.Torch => "torch",
        ModelFamily.Ensemble => "ensemble",
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };
}
