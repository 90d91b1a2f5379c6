namespace MLWorkbench.Bundles;

/// <summary>How many bytes a trained model takes when saved as a bundle, for the results' model size column.</summary>
internal static class ModelSize
{
    /// <summary>
    /// The model's own bytes in a bundle and the bytes of the pretrained files it needs from packages (null when it has
    /// none); both null for a model that cannot be saved. Saving writes to memory only.
    /// </summary>
    public static (long? Model, long? Pretrained) Of(object model)
    {
        try
        {
            if (model is not IBundledModel bundled) return (null, null);
            var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var assets = new List<PretrainedAsset>();
            bundled.Save(entries, assets);
            return (entries.Values.Sum(e => (long)e.Length), assets.Count == 0 ? null : assets.DistinctBy(a => a.Name).Sum(a => a.Bytes));
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or IOException)
        {
            // A model whose size cannot be measured still has its metrics; the column shows it as unknown.
            return (null, null);
        }
    }
}
