namespace MLWorkbench.Bundles;

/// <summary>
/// A trained model that can write itself into a model bundle (<c>.mlwb</c>), for every task. Like ML.NET's
/// <c>ICanSaveModel</c>: the model knows its own bytes and the pretrained package files it leans on; <see cref="ModelBundle"/>
/// knows the file around them, and the format's registration (<see cref="ModelFormat"/>) reads them back.
/// </summary>
internal interface IBundledModel
{
    /// <summary>The manifest's <c>modelFormat</c>, a name some <see cref="IModelFamily"/> registers (e.g. <c>torch-image</c>).</summary>
    string Format { get; }

    /// <summary>
    /// Adds the model's entries, named relative to the bundle's <c>model/</c> folder, and the pretrained files it needs
    /// at load time (<see cref="PretrainedAssets"/>), which are recorded by checksum instead of being copied.
    /// </summary>
    void Save(IDictionary<string, byte[]> entries, ICollection<PretrainedAsset> assets);

    /// <summary>The formats of the models it holds inside (an ensemble's members), whose packages its manifest names too.</summary>
    IEnumerable<string> MemberFormats => [];
}
