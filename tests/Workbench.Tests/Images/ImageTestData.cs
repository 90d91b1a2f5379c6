using MLWorkbench.Images;

namespace MLWorkbench.Tests.Images;

/// <summary>Temporary image folders for the image tests; deleted on dispose.</summary>
public sealed class ImageTestData : IDisposable
{
    public ImageTestData()
    {
        Root = Path.Combine(Path.GetTempPath(), "mlwb-images-" + Guid.NewGuid().ToString("N"));
        Shapes = SyntheticShapes.Write(Path.Combine(Root, "shapes"), perClass: 60, seed: 11, size: 24);
    }

    public string Root { get; }

    /// <summary>180 colour 24x24 shapes, 60 per class.</summary>
    public string Shapes { get; }

    public string NewFolder(string name)
    {
        var folder = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>The repository's digits folder (datasets/digits).</summary>
    public static string Digits => Repository.Dataset("digits");

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
