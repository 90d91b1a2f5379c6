namespace MLWorkbench.Tasks;

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
