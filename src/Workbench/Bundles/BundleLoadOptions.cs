using MLWorkbench.Serving;

namespace MLWorkbench.Bundles;

/// <summary>
/// How a <c>.mlwb</c> file is checked when it is loaded. A bundle often comes from outside the application, so it is
/// treated as untrusted input: the size limits are checked from the zip's directory before anything is inflated (and
/// again while inflating, in case the directory lies), for the bundle and for the ML.NET model zip inside it. The
/// defaults fit the largest bundle MLWorkbench writes (a fine-tuned MiniLM, about 90 MB) with ample headroom; raise
/// them with <c>BundleLoadOptions.Default with { ... }</c> for a larger file you trust. With
/// <see cref="RequiredSignature"/>, only bundles signed with that key load (<c>mlwb sign</c>, <see cref="WorkbenchModel.SignAsync"/>).
/// </summary>
public sealed record BundleLoadOptions
{
    /// <summary>
    /// When set, a bundle loads only if it carries a signature that this key verifies: an HMAC-SHA256 secret, or an
    /// ECDSA public key (the signer holds the private key). Checksums alone catch damage, not tampering.
    /// </summary>
    public BundleKey? RequiredSignature { get; init; }

    /// <summary>The defaults: 1 GiB in all, 768 MiB per entry, 4,096 entries, 200:1 compression above 1 MiB.</summary>
    public static BundleLoadOptions Default { get; } = new();

    /// <summary>The most bytes all entries of one zip may inflate to (1 GiB).</summary>
    public long MaxTotalBytes { get; init; } = 1L << 30;

    /// <summary>The most bytes one entry may inflate to (768 MiB).</summary>
    public long MaxEntryBytes { get; init; } = 768L << 20;

    /// <summary>The most entries one zip may hold (4,096).</summary>
    public int MaxEntries { get; init; } = 4096;

    /// <summary>
    /// The highest ratio of inflated to stored bytes for an entry larger than <see cref="RatioFloorBytes"/> (200:1).
    /// Trained weights barely compress (about 1.1:1); a zip bomb inflates a thousand times or more.
    /// </summary>
    public double MaxCompressionRatio { get; init; } = 200;

    /// <summary>Entries up to this size (1 MiB) are not held to <see cref="MaxCompressionRatio"/>: small text compresses well.</summary>
    public long RatioFloorBytes { get; init; } = 1L << 20;

    /// <summary>
    /// The longest one copy of the model may take to be read from its entries (60 s; the largest model MLWorkbench writes
    /// reads in a few seconds). A longer read is refused with <see cref="Tasks.WorkbenchInputException"/>: ML.NET's reader
    /// loops forever when a damaged length points past the end of its entry, and that read cannot be stopped, only
    /// abandoned (its thread keeps a core busy until the process ends), so accept bundles from outside with
    /// <see cref="RequiredSignature"/>. <see cref="Timeout.InfiniteTimeSpan"/> waits without a limit.
    /// </summary>
    public TimeSpan MaxModelReadTime
    {
        get => _maxModelReadTime;
        init => _maxModelReadTime = value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxModelReadTime), value, "The time must be positive, or Timeout.InfiniteTimeSpan.");
    }

    private readonly TimeSpan _maxModelReadTime = TimeSpan.FromSeconds(60);
}
