namespace MLWorkbench.Models;

/// <summary>Where TorchSharp models run.</summary>
public enum ComputeDevice
{
    /// <summary>CUDA when a CUDA build of libtorch and a GPU are present, the CPU otherwise.</summary>
    Auto,
    /// <summary>Always the CPU.</summary>
    Cpu,
    /// <summary>The GPU; falls back to the CPU (and says so) when CUDA is not available.</summary>
    Cuda,
}

/// <summary>Names of <see cref="ComputeDevice"/> on the command line and in suites.</summary>
public static class ComputeDevices
{
    /// <summary>Parses <c>auto</c>, <c>cpu</c> or <c>cuda</c>; null when unknown.</summary>
    public static ComputeDevice? Parse(string name) => name switch
    {
        "auto" => ComputeDevice.Auto,
        "cpu" => ComputeDevice.Cpu,
        "cuda" => ComputeDevice.Cuda,
        _ => null,
    };
}
