using TorchSharp;

namespace MLWorkbench.Models.Torch;

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

/// <summary>Resolves a <see cref="ComputeDevice"/> request to the device TorchSharp will use.</summary>
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

    /// <summary>
    /// The TorchSharp device for a request, and a note when the request could not be honoured.
    /// Loads libtorch, so call it only when a TorchSharp model is about to train.
    /// </summary>
    public static (torch.Device Device, string Name, string? Note) Resolve(ComputeDevice requested)
    {
        if (requested == ComputeDevice.Cpu) return (torch.CPU, "cpu", null);
        if (torch.cuda.is_available()) return (torch.CUDA, "cuda", null);
        return (torch.CPU, "cpu", requested == ComputeDevice.Cuda
            ? "cuda was requested but this libtorch build or machine has no CUDA; ran on the CPU"
            : null);
    }
}
