using System.Runtime.InteropServices;
using TorchSharp;
using MLWorkbench.Tasks;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch;

/// <summary>Resolves a <see cref="ComputeDevice"/> request to the device TorchSharp will use.</summary>
internal static class TorchDevices
{
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

    /// <summary>The device and number format TorchSharp models will use, e.g. <c>cuda, bf16 mixed precision</c>, with a note when a request cannot be honoured.</summary>
    public static string Describe(ComputeDevice requested, TrainingPrecision precision)
    {
        try
        {
            var (device, name, note) = Resolve(requested);
            var format = ResolvePrecision(precision, device) switch
            {
                TrainingPrecision.Float32 => "fp32",
                var mixed => $"{mixed.ToName()} mixed precision",
            };
            return note is null ? $"{name}, {format}" : $"{name}, {format} ({note})";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException)
        {
            return "cpu (TorchSharp's native library could not be loaded)";
        }
    }

    /// <summary>
    /// What <paramref name="requested"/> means on <paramref name="device"/>: <see cref="TrainingPrecision.Auto"/> is fp32 on the
    /// CPU (bf16 arithmetic there is emulated on most CPUs and slower) and bf16 on a GPU that computes in it, fp16 otherwise.
    /// An explicit request is honoured on any device, so the mixed path can be tested on the CPU.
    /// </summary>
    public static TrainingPrecision ResolvePrecision(TrainingPrecision requested, Device device)
    {
        if (requested != TrainingPrecision.Auto) return requested;
        if (device.type != DeviceType.CUDA) return TrainingPrecision.Float32;
        return SupportsBFloat16(device) ? TrainingPrecision.BFloat16 : TrainingPrecision.Float16;
    }

    // TorchSharp has no torch.cuda.is_bf16_supported(): a small bf16 matrix product answers the question directly.
    private static bool SupportsBFloat16(Device device)
    {
        try
        {
            using var scope = NewDisposeScope();
            var a = ones(8, 8, dtype: ScalarType.BFloat16, device: device);
            return a.matmul(a).sum().to(ScalarType.Float32).item<float>() == 512f;
        }
        catch (Exception e) when (e is ExternalException or NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }
}
