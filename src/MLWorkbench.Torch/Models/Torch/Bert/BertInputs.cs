using MLWorkbench.Text;
using static TorchSharp.torch;

namespace MLWorkbench.Models.Torch.Bert;

/// <summary>Token batches as the int64 tensors a <see cref="BertEncoder"/> takes.</summary>
internal static class BertInputs
{
    /// <summary>
    /// <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c>, each [Count, SequenceLength], on
    /// <paramref name="device"/> (the CPU when null). The caller owns (disposes) the tensors.
    /// </summary>
    public static (Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds) ToTensors(this BertBatch batch, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        long[] shape = [batch.Count, batch.SequenceLength];
        return (tensor(batch.InputIds, shape, device: device), tensor(batch.AttentionMask, shape, device: device), tensor(batch.TokenTypeIds, shape, device: device));
    }
}
