using System.Reflection;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// What a package of a heavy runtime (MLWorkbench.Torch, MLWorkbench.Onnx, MLWorkbench.Images) adds to the core library,
/// which cannot name its types: the trainers of every task family it brings and the services only it can give (the
/// TorchSharp device, an image decoder, the MiniLM text encoder, the ONNX Runtime check of an export). Its bundle formats
/// and pretrained files are registered as the core's are, by <c>[assembly: ModelFamily&lt;…&gt;]</c> in that assembly.
/// </summary>
/// <remarks>
/// One sealed subclass per extension assembly with a parameterless constructor, named by
/// <c>[assembly: WorkbenchExtension(typeof(…))]</c> (as ML.NET's ComponentCatalog finds loadable classes by assembly
/// attributes). <see cref="ExtensionRegistry"/> loads the known extension assemblies by name once; an application that
/// references the package gets its candidates and bundle readers with no code of its own.
/// </remarks>
internal abstract class WorkbenchExtension
{
    /// <summary>
    /// The trainers it adds (<see cref="TrainerDefinition{TData}"/> of any task family's data), cheapest first; a family's
    /// list is the core's trainers followed by those of each extension in <see cref="ExtensionRegistry.KnownPackages"/> order.
    /// </summary>
    public virtual IEnumerable<object> Trainers => [];

    /// <summary>Versions of the runtime packages it runs on (e.g. TorchSharp), for results and manifests.</summary>
    public virtual IEnumerable<KeyValuePair<string, string>> RuntimeVersions => [];

    /// <summary>The device and number format its models use for a request (see <see cref="Workbench.DescribeDevice"/>); null when it trains no networks.</summary>
    public virtual string? DescribeDevice(ComputeDevice device, TrainingPrecision precision) => null;

    /// <summary>
    /// Decodes image files for the image task (null when it has no decoder): the core reads folders and CSV lists of
    /// images but decodes none itself, so that it carries no native imaging library.
    /// </summary>
    public virtual IImageDecoding? ImageDecoding => null;

    /// <summary>Sentence encoders by name (e.g. <c>minilm</c>), made for a token limit: what an ML.NET text model feeds on instead of n-grams.</summary>
    public virtual IEnumerable<KeyValuePair<string, Func<int, ITextEncoder>>> TextEncoders => [];

    /// <summary>Runs an ONNX graph, to check an export against ML.NET (null when it has no ONNX runtime).</summary>
    public virtual IOnnxRunner? OnnxRunner => null;
}

/// <summary>Names the <see cref="WorkbenchExtension"/> of an extension assembly: <c>[assembly: WorkbenchExtension(typeof(TorchExtension))]</c>.</summary>
/// <param name="type">A sealed subclass of <see cref="WorkbenchExtension"/> with a parameterless constructor.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
internal sealed class WorkbenchExtensionAttribute(Type type) : Attribute
{
    /// <summary>The extension's type.</summary>
    public Type Type => type;
}

/// <summary>Decoding image files into pixels: given by MLWorkbench.Images.</summary>
internal interface IImageDecoding
{
    /// <summary>Checks one file (present, a PNG, JPEG or BMP within <paramref name="maxMegapixels"/>, decodable): its size and grayness, or why it cannot be used.</summary>
    ImageInspection Inspect(string path, double maxMegapixels);

    /// <summary>The image at <paramref name="path"/> resampled to <paramref name="size"/> squared, channel-major floats in [0, 1].</summary>
    float[] Decode(string path, int size, int channels);

    /// <summary>A small gray PNG file (the probe row of an image model); the caller deletes it.</summary>
    void WriteProbe(string path);
}

/// <summary>What <see cref="IImageDecoding.Inspect"/> found.</summary>
/// <param name="Width">Width in pixels (0 when unusable).</param>
/// <param name="Height">Height in pixels (0 when unusable).</param>
/// <param name="Grayscale">True when every pixel is gray.</param>
/// <param name="Problem">Why the file cannot be used; null when it can.</param>
internal sealed record ImageInspection(int Width, int Height, bool Grayscale, string? Problem);

/// <summary>A sentence encoder (MiniLM): texts in, one fixed-length embedding per text out.</summary>
internal interface ITextEncoder : IDisposable
{
    /// <summary>The embedding's length.</summary>
    int Dimension { get; }

    /// <summary>Most tokens read per text.</summary>
    int MaxLength { get; }

    /// <summary>The pretrained files the encoder needs, as bundles name them.</summary>
    IReadOnlyList<string> PretrainedFiles { get; }

    /// <summary>One embedding per text.</summary>
    float[][] Encode(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default);
}

/// <summary>Runs an ONNX graph on a matrix of floats: how an ONNX export is checked against ML.NET (given by MLWorkbench.Onnx).</summary>
internal interface IOnnxRunner
{
    /// <summary>The values of output <paramref name="output"/>, row-major, for <paramref name="values"/> as a float[rows, columns] input named <paramref name="input"/>.</summary>
    /// <exception cref="NotSupportedException">The graph does not run, or has no such output.</exception>
    float[] Run(byte[] onnx, string input, float[] values, int rows, int columns, string output);
}

/// <summary>
/// The core library and the extension assemblies an application has, read once: their bundle formats, pretrained
/// files, trainers and services. Immutable; <see cref="Default"/> is built on first use from the packages the application
/// references (an extension assembly that is not there is simply absent).
/// </summary>
internal sealed class ExtensionRegistry
{
    /// <summary>The core package.</summary>
    public const string CorePackage = "MLWorkbench";

    /// <summary>The TorchSharp package.</summary>
    public const string TorchPackage = "MLWorkbench.Torch";

    /// <summary>The ONNX Runtime and MiniLM package.</summary>
    public const string OnnxPackage = "MLWorkbench.Onnx";

    /// <summary>The ImageAnalytics and ResNet18 package.</summary>
    public const string ImagesPackage = "MLWorkbench.Images";

    /// <summary>The extension packages the core knows, in the order their trainers follow the core's (dependencies first).</summary>
    public static IReadOnlyList<string> KnownPackages { get; } = [OnnxPackage, ImagesPackage, TorchPackage];

    private static readonly Lazy<ExtensionRegistry> Loaded = new(() => new ExtensionRegistry(KnownPackages.Select(TryLoad).OfType<Assembly>().ToArray()));

    private readonly Dictionary<string, (ModelFormat Format, string Package)> _formats;
    private readonly Dictionary<string, (PretrainedSource Source, string Package)> _pretrained;
    private readonly IReadOnlyList<object> _trainers;

    /// <summary>A registry of the core and the given extension assemblies (tests build one without an extension).</summary>
    /// <exception cref="InvalidOperationException">Two families register one format or file, or an extension is malformed.</exception>
    public ExtensionRegistry(IReadOnlyList<Assembly> extensions)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        var assemblies = new[] { typeof(ExtensionRegistry).Assembly }.Concat(extensions).ToArray();
        Assemblies = assemblies;
        Packages = assemblies.Select(a => a.GetName().Name!).ToArray();
        var families = assemblies.SelectMany(a => a.GetCustomAttributes<ModelFamilyAttribute>().Select(f => (Family: f.Create(), Package: a.GetName().Name!))).ToArray();
        // Two families claiming one name would make a bundle's meaning depend on discovery order: refuse at once.
        _formats = families.SelectMany(f => f.Family.Formats.Select(m => (m, f.Package))).ToDictionary(p => p.m.Name, StringComparer.Ordinal);
        _pretrained = families.SelectMany(f => f.Family.PretrainedFiles.Select(s => (s, f.Package))).ToDictionary(p => p.s.Name, StringComparer.Ordinal);
        Extensions = extensions.Select(Create).ToArray();
        _trainers = Extensions.SelectMany(e => e.Trainers).ToArray();
        var stray = _trainers.FirstOrDefault(t => !t.GetType().IsGenericType || t.GetType().GetGenericTypeDefinition() != typeof(TrainerDefinition<>));
        if (stray is not null) throw new InvalidOperationException($"An extension registers {stray.GetType().Name} as a trainer; trainers are TrainerDefinition<TData>.");
    }

    /// <summary>The registry of this application: the core and every known extension assembly it references.</summary>
    public static ExtensionRegistry Default => Loaded.Value;

    /// <summary>The assemblies present: the core first, then the extensions.</summary>
    public IReadOnlyList<Assembly> Assemblies { get; }

    /// <summary>The packages present: the core first, then the extensions.</summary>
    public IReadOnlyList<string> Packages { get; }

    /// <summary>The extensions present, in <see cref="KnownPackages"/> order.</summary>
    public IReadOnlyList<WorkbenchExtension> Extensions { get; }

    /// <summary>The sentence encoder named <paramref name="name"/> reading at most <paramref name="maxLength"/> tokens.</summary>
    /// <exception cref="WorkbenchInputException">No extension present gives it (MiniLM is MLWorkbench.Onnx's).</exception>
    public ITextEncoder TextEncoder(string name, int maxLength) =>
        Extensions.SelectMany(e => e.TextEncoders).FirstOrDefault(e => e.Key == name).Value?.Invoke(maxLength)
        ?? throw new WorkbenchInputException($"The {name} sentence encoder needs the {OnnxPackage} package: add <PackageReference Include=\"{OnnxPackage}\" /> to the application's project.");

    /// <summary>The ONNX runner of the extensions present; null without MLWorkbench.Onnx.</summary>
    public IOnnxRunner? OnnxRunner => Extensions.Select(e => e.OnnxRunner).FirstOrDefault(r => r is not null);

    /// <summary>Versions of the runtime packages of the extensions present (e.g. TorchSharp), for results and manifests.</summary>
    public IEnumerable<KeyValuePair<string, string>> RuntimeVersions => Extensions.SelectMany(e => e.RuntimeVersions);

    /// <summary>Every registered format, by name.</summary>
    public IReadOnlyDictionary<string, ModelFormat> Formats => _formats.ToDictionary(f => f.Key, f => f.Value.Format);

    /// <summary>The registered format named <paramref name="name"/>; null when no family present reads it.</summary>
    public ModelFormat? Format(string name) => _formats.TryGetValue(name, out var f) ? f.Format : null;

    /// <summary>The registered pretrained file named <paramref name="name"/>; null when no family present names it.</summary>
    public PretrainedSource? Pretrained(string name) => _pretrained.TryGetValue(name, out var p) ? p.Source : null;

    /// <summary>The trainers of the extensions for data <typeparamref name="TData"/>, in registration order.</summary>
    public IReadOnlyList<TrainerDefinition<TData>> Trainers<TData>() where TData : Data.ILabelledData => [.. _trainers.OfType<TrainerDefinition<TData>>()];

    /// <summary>
    /// The packages a bundle in <paramref name="format"/> needs beyond the core, for its manifest: the package that
    /// registers the format, those of its members' formats (ensembles) and those of the pretrained files it names.
    /// </summary>
    public IReadOnlyList<string> PackagesOf(string format, IEnumerable<string> memberFormats, IEnumerable<PretrainedAsset> assets) =>
        [.. new[] { format }.Concat(memberFormats).Select(f => _formats.TryGetValue(f, out var r) ? r.Package : CorePackage)
            .Concat(assets.Select(a => _pretrained.TryGetValue(a.Name, out var p) ? p.Package : CorePackage))
            .Where(p => p != CorePackage).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>
    /// Refuses a bundle whose model needs a package the application does not reference, in one sentence naming the
    /// package to add. The manifest names its packages; one saved before it did is mapped from its format's name.
    /// </summary>
    /// <exception cref="WorkbenchInputException">A package it needs is absent.</exception>
    public void CheckPackages(string path, ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        // A bundle saved before manifests named packages: what its format and pretrained files map to, where nothing present reads them.
        var needed = manifest.RequiredPackages.Count > 0 ? manifest.RequiredPackages
            : [.. (Format(manifest.ModelFormat) is null ? FormatPackages.Of(manifest.ModelFormat) : [])
                .Concat(manifest.PretrainedAssets.Where(a => Pretrained(a.Name) is null).SelectMany(a => FormatPackages.OfPretrained(a.Name))).Distinct()];
        var missing = needed.Where(p => !Packages.Contains(p, StringComparer.Ordinal)).ToArray();
        if (missing.Length > 0) throw Missing(path, manifest.ModelFormat, missing);
    }

    /// <summary>The one sentence for a model whose format needs packages the application lacks.</summary>
    public static WorkbenchInputException Missing(string path, string format, IReadOnlyList<string> packages) => new(
        $"Model file '{path}' holds a {format} model, which needs the {string.Join(" and ", packages)} package{(packages.Count > 1 ? "s" : "")}: add "
        + string.Join(" and ", packages.Select(p => $"<PackageReference Include=\"{p}\" />")) + " to the application's project.");

    private static Assembly? TryLoad(string name)
    {
        try
        {
            return Assembly.Load(new AssemblyName(name));
        }
        catch (FileNotFoundException)
        {
            // Not referenced: the application runs without that package's models.
            return null;
        }
    }

    private static WorkbenchExtension Create(Assembly assembly)
    {
        var attribute = assembly.GetCustomAttribute<WorkbenchExtensionAttribute>()
            ?? throw new InvalidOperationException($"Assembly {assembly.GetName().Name} declares no [assembly: WorkbenchExtension(...)].");
        return Activator.CreateInstance(attribute.Type) as WorkbenchExtension
            ?? throw new InvalidOperationException($"{attribute.Type} in {assembly.GetName().Name} is not a WorkbenchExtension.");
    }
}

/// <summary>
/// The packages of the formats and pretrained files that bundles were saved in before manifests named their packages:
/// names, not types, so that the core maps them without referencing the packages.
/// </summary>
internal static class FormatPackages
{
    private static readonly Dictionary<string, string[]> ByFormat = new(StringComparer.Ordinal)
    {
        ["torch"] = [ExtensionRegistry.TorchPackage],
        ["torch-image"] = [ExtensionRegistry.TorchPackage],
        ["torch-text"] = [ExtensionRegistry.TorchPackage],
        ["minilm-biencoder"] = [ExtensionRegistry.TorchPackage],
        ["minilm-crossencoder"] = [ExtensionRegistry.TorchPackage],
        ["mlnet-image"] = [ExtensionRegistry.ImagesPackage],
        ["minilm-knn-text"] = [ExtensionRegistry.OnnxPackage],
        ["minilm-zeroshot"] = [ExtensionRegistry.OnnxPackage],
    };

    /// <summary>The extension packages a format needs (none for the core's: mlnet, mlnet-text, lexical, ensemble-*).</summary>
    public static IReadOnlyList<string> Of(string format) => ByFormat.GetValueOrDefault(format) ?? [];

    /// <summary>The extension package that opens a pretrained file (MiniLM: MLWorkbench.Onnx; ResNet18: MLWorkbench.Images).</summary>
    public static IReadOnlyList<string> OfPretrained(string name) =>
        name.StartsWith("minilm/", StringComparison.Ordinal) ? [ExtensionRegistry.OnnxPackage]
        : name.StartsWith("resnet18/", StringComparison.Ordinal) ? [ExtensionRegistry.ImagesPackage]
        : [];
}
