using MLWorkbench.Images;
using MLWorkbench.Experiments;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.Images;

public sealed class ImageDatasetTests(ImageTestData data) : IClassFixture<ImageTestData>
{
    [Fact]
    public void LoadsClassFolder()
    {
        var set = ImageDataset.Load(data.Shapes);
        Assert.Equal(180, set.Examples.Rows);
        Assert.Equal(SyntheticShapes.Classes, set.Examples.ClassNames);
        Assert.Equal(3, set.Examples.Channels);
        Assert.Equal(24, set.Examples.TypicalSize);
        Assert.Empty(set.Dropped);
        Assert.Equal(64, set.Sha256.Length);
        Assert.Equal(set.Sha256, ImageDataset.Load(data.Shapes).Sha256);
        var pixels = set.Examples.Pixels(16);
        Assert.Equal(3 * 16 * 16, pixels[0].Length);
        Assert.All(pixels[0], v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void LoadsDigitsAsGrayscale()
    {
        var set = ImageDataset.Load(ImageTestData.Digits);
        Assert.Equal(1797, set.Examples.Rows);
        Assert.Equal(10, set.Examples.ClassNames.Count);
        Assert.Equal(1, set.Examples.Channels);
        Assert.Equal(8, set.Examples.TypicalSize);
    }

    [Fact]
    public void SkipsAndListsBadFiles()
    {
        var folder = data.NewFolder("bad");
        SyntheticShapes.Write(folder, perClass: 20, seed: 3, size: 16);
        File.WriteAllBytes(Path.Combine(folder, "circle", "empty.png"), []);
        File.WriteAllText(Path.Combine(folder, "square", "notes.png"), "this is not an image");
        var good = File.ReadAllBytes(Path.Combine(folder, "triangle", "0000.png"));
        File.WriteAllBytes(Path.Combine(folder, "triangle", "truncated.png"), good[..(good.Length / 2)]);
        SyntheticShapes.Write(Path.Combine(folder, "big"), 1, 5, size: 64);
        File.Move(Path.Combine(folder, "big", "circle", "0000.png"), Path.Combine(folder, "circle", "big.png"));
        Directory.Delete(Path.Combine(folder, "big"), true);

        var set = ImageDataset.Load(folder, new ImageLoadOptions { MaxMegapixels = 0.002 });

        Assert.Equal(60, set.Examples.Rows);
        Assert.Equal(4, set.Dropped.Count);
        Assert.Contains("empty", set.Dropped[Path.Combine("circle", "empty.png")]);
        Assert.Contains("not a readable image", set.Dropped[Path.Combine("square", "notes.png")]);
        Assert.Contains("damaged", set.Dropped[Path.Combine("triangle", "truncated.png")]);
        Assert.Contains("over the limit", set.Dropped[Path.Combine("circle", "big.png")]);
    }

    [Fact]
    public void TooManyBadFilesIsAnError()
    {
        var folder = data.NewFolder("many-bad");
        SyntheticShapes.Write(folder, perClass: 3, seed: 3, size: 16);
        for (var i = 0; i < 3; i++) File.WriteAllBytes(Path.Combine(folder, "circle", $"bad{i}.jpg"), [1, 2, 3]);
        var e = Assert.Throws<WorkbenchInputException>(() => ImageDataset.Load(folder));
        Assert.Contains("unusable files", e.Message);
    }

    [Fact]
    public void EmptyFolderOneClassAndMismatchedClassesAreErrors()
    {
        Assert.Contains("no files", Assert.Throws<WorkbenchInputException>(() => ImageDataset.Load(data.NewFolder("empty"))).Message);
        var one = data.NewFolder("one");
        SyntheticShapes.Write(one, 3, 1, 16);
        Directory.Delete(Path.Combine(one, "square"), true);
        Directory.Delete(Path.Combine(one, "triangle"), true);
        Assert.Contains("only one class", Assert.Throws<WorkbenchInputException>(() => ImageDataset.Load(one)).Message);
        var two = data.NewFolder("two");
        SyntheticShapes.Write(two, 3, 1, 16);
        Directory.Delete(Path.Combine(two, "triangle"), true);
        var e = Assert.Throws<WorkbenchInputException>(() => ImageDataset.CheckSameClasses(ImageDataset.Load(data.Shapes), ImageDataset.Load(two)));
        Assert.Contains("missing: [triangle]", e.Message);
        Assert.Contains("neither a folder nor a file", Assert.Throws<WorkbenchInputException>(() => ImageDataset.Load(Path.Combine(data.Root, "nope"))).Message);
    }

    [Fact]
    public void LoadsCsvListRelativeToTheFile()
    {
        var folder = data.NewFolder("csv");
        SyntheticShapes.Write(Path.Combine(folder, "img"), 4, 2, 16);
        var lines = new List<string> { "path,label" };
        foreach (var shape in SyntheticShapes.Classes)
            lines.AddRange(Directory.GetFiles(Path.Combine(folder, "img", shape)).Select(f => $"{Path.GetRelativePath(folder, f)},{shape}"));
        File.WriteAllLines(Path.Combine(folder, "list.csv"), lines);
        var set = ImageDataset.Load(Path.Combine(folder, "list.csv"));
        Assert.Equal(12, set.Examples.Rows);
        Assert.Equal(SyntheticShapes.Classes, set.Examples.ClassNames);
    }

    [Fact]
    public void StratifiedSplitKeepsClassesAndIsSeeded()
    {
        var prepared = ImageExperiment.Prepare("shapes", data.Shapes, null, 0.2, 0.2, 5, Tasks.ComputeDevice.Cpu, ["pixels-lbfgs"]);
        Assert.Equal(108, prepared.Train.Rows);
        Assert.Equal(36, prepared.Validation.Rows);
        Assert.Equal(36, prepared.Test.Rows);
        Assert.All(Enumerable.Range(0, 3), k => Assert.Equal(12, prepared.Test.Labels.Count(l => (int)l == k)));
        var again = ImageExperiment.Prepare("shapes", data.Shapes, null, 0.2, 0.2, 5, Tasks.ComputeDevice.Cpu, ["pixels-lbfgs"]);
        Assert.Equal(prepared.Test.Paths, again.Test.Paths);
        Assert.Throws<WorkbenchInputException>(() => ImageExperiment.Prepare("x", data.Shapes, null, 0.2, 0.2, 5, Tasks.ComputeDevice.Cpu, ["nope"]));
    }
}
