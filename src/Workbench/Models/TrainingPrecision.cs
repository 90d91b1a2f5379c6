namespace MLWorkbench.Models;

/// <summary>The number format TorchSharp networks train in.</summary>
public enum TrainingPrecision
{
    /// <summary>bf16 mixed precision on CUDA (fp16 with loss scaling where the GPU has no bf16), fp32 on the CPU.</summary>
    Auto,
    /// <summary>Everything in 32-bit floats.</summary>
    Float32,
    /// <summary>Forward and backward passes in bfloat16; fp32 master weights and optimizer state.</summary>
    BFloat16,
    /// <summary>Forward and backward passes in float16; fp32 master weights and optimizer state; dynamic loss scaling.</summary>
    Float16,
}

/// <summary>Names of <see cref="TrainingPrecision"/> on the command line and in suites.</summary>
public static class TrainingPrecisions
{
    /// <summary>Every name <see cref="Parse"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "fp32", "bf16", "fp16"];

    /// <summary>Parses <c>auto</c>, <c>fp32</c>, <c>bf16</c> or <c>fp16</c>; null when unknown.</summary>
    public static TrainingPrecision? Parse(string name) => name switch
    {
        "auto" => TrainingPrecision.Auto,
        "fp32" => TrainingPrecision.Float32,
        "bf16" => TrainingPrecision.BFloat16,
        "fp16" => TrainingPrecision.Float16,
        _ => null,
    };

    /// <summary>The short name (<c>auto</c>, <c>fp32</c>, <c>bf16</c>, <c>fp16</c>).</summary>
    public static string ToName(this TrainingPrecision precision) => precision switch
    {
        TrainingPrecision.Float32 => "fp32",
        TrainingPrecision.BFloat16 => "bf16",
        TrainingPrecision.Float16 => "fp16",
        _ => "auto",
    };
}
