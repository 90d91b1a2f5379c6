namespace MLWorkbench.Text;

/// <summary>
/// Token ids of several texts (or text pairs) for a BERT encoder, padded to one length and stored row-major
/// (<see cref="Count"/> rows of <see cref="SequenceLength"/> values), ready to become int64 tensors.
/// </summary>
internal sealed class BertBatch
{
    internal BertBatch(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int count, int sequenceLength, int truncatedCount)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        TokenTypeIds = tokenTypeIds;
        Count = count;
        SequenceLength = sequenceLength;
        TruncatedCount = truncatedCount;
    }

    /// <summary>Token ids, <c>[CLS] a [SEP]</c> or <c>[CLS] a [SEP] b [SEP]</c>, then padding ids.</summary>
    public long[] InputIds { get; }

    /// <summary>1 for real tokens (special tokens included), 0 for padding.</summary>
    public long[] AttentionMask { get; }

    /// <summary>0 for the first text and its special tokens, 1 for the second text of a pair and its <c>[SEP]</c>; 0 for padding.</summary>
    public long[] TokenTypeIds { get; }

    /// <summary>How many texts (or pairs) the batch holds.</summary>
    public int Count { get; }

    /// <summary>The padded length of every row: the longest row of the batch, or the maximum length when padding to it.</summary>
    public int SequenceLength { get; }

    /// <summary>How many texts (or pairs) lost tokens to the maximum length.</summary>
    public int TruncatedCount { get; }

    /// <summary>The real (unpadded) length of row <paramref name="row"/>.</summary>
    public int Length(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        var length = 0;
        var offset = row * SequenceLength;
        for (var i = 0; i < SequenceLength; i++) length += (int)AttentionMask[offset + i];
        return length;
    }
}
