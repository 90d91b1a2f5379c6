namespace MLWorkbench.Tasks;

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
