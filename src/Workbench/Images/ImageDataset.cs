using System.Security.Cryptography;
using System.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Tasks;

namespace MLWorkbench.Images;

/// <summary>Limits that <see cref="ImageDataset.Load"/> applies.</summary>
internal sealed class ImageLoadOptions
{
    /// <summary>Images with more pixels than this (read from the header, before decoding) are skipped. Default 50.</summary>
    public double MaxMegapixels { get; init; } = 50;

    /// <summary>Loading stops with an error when more than this share of the files is unusable. Default 0.10.</summary>
    public double MaxBadShare { get; init; } = 0.10;

    /// <summary>The encoding of a <c>path,label</c> CSV file; null: UTF-8 (<see cref="Data.DataFileText.ParseEncoding"/> turns a name into one).</summary>
    public Encoding? Encoding { get; init; }
}

/// <summary>
/// An image classification data set read from a folder with one sub-folder per class, or from a CSV file of
/// <c>path,label</c> rows (paths relative to the CSV file). Unusable files are skipped and listed with the reason.
/// </summary>
internal sealed class ImageDataset
{
    private ImageDataset(string path, string sha256, ImageExamples examples, IReadOnlyDictionary<string, string> dropped)
    {
        Path = path;
        Sha256 = sha256;
        Examples = examples;
        Dropped = dropped;
    }

    /// <summary>The folder or CSV file it was read from (full path).</summary>
    public string Path { get; }

    /// <summary>SHA-256 over every listed file's relative path, label and bytes, in path order.</summary>
    public string Sha256 { get; }

    /// <summary>The usable images.</summary>
    public ImageExamples Examples { get; }

    /// <summary>Skipped files (path relative to <see cref="Path"/>) and why each was skipped.</summary>
    public IReadOnlyDictionary<string, string> Dropped { get; }

    /// <summary>Reads a class folder or a <c>path,label</c> CSV file.</summary>
    /// <exception cref="WorkbenchInputException">The path is missing or empty, holds one class only, or too many files are unusable.</exception>
    public static ImageDataset Load(string path, ImageLoadOptions? options = null)
    {
        options ??= new ImageLoadOptions();
        var full = System.IO.Path.GetFullPath(path);
        List<(string Path, string Label)> listed;
        string root;
        if (Directory.Exists(full)) (listed, root) = (ListFolder(full), full);
        else if (File.Exists(full)) (listed, root) = (ListCsv(full, options.Encoding), System.IO.Path.GetDirectoryName(full)!);
        else throw new WorkbenchInputException($"Image data '{path}' is neither a folder nor a file.");
        if (listed.Count == 0) throw new WorkbenchInputException($"Image data '{path}' contains no files.");
        listed.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));

        var decoder = ImageDecoding.Get();
        var inspections = new ImageInspection[listed.Count];
        Parallel.For(0, listed.Count, i => inspections[i] = decoder.Inspect(listed[i].Path, options.MaxMegapixels));
        var dropped = new Dictionary<string, string>();
        var good = new List<int>();
        for (var i = 0; i < listed.Count; i++)
            if (inspections[i].Problem is { } problem) dropped[System.IO.Path.GetRelativePath(root, listed[i].Path)] = problem;
            else good.Add(i);
        if (dropped.Count > options.MaxBadShare * listed.Count)
        {
            var first = dropped.First();
            throw new WorkbenchInputException(
                $"Image data '{path}' has {dropped.Count} unusable files out of {listed.Count}, more than the allowed {options.MaxBadShare:P0} (first: '{first.Key}': {first.Value}).");
        }
        var classNames = good.Select(i => listed[i].Label).Distinct().Order(StringComparer.Ordinal).ToList();
        if (classNames.Count == 0) throw new WorkbenchInputException($"Image data '{path}' contains no usable images.");
        if (classNames.Count == 1) throw new WorkbenchInputException($"Image data '{path}' has only one class ('{classNames[0]}'); at least two are needed.");
        var index = classNames.Select((name, k) => (name, k)).ToDictionary(p => p.name, p => (float)p.k);
        var channels = good.All(i => inspections[i].Grayscale) ? 1 : 3;
        var sizes = good.Select(i => Math.Max(inspections[i].Width, inspections[i].Height)).Order().ToArray();
        var examples = new ImageExamples(good.Select(i => listed[i].Path).ToArray(), good.Select(i => index[listed[i].Label]).ToArray(),
            classNames, channels, sizes[sizes.Length / 2], new ImageCache());
        return new ImageDataset(full, Hash(root, listed), examples, dropped);
    }

    /// <summary>Checks that <paramref name="test"/> has exactly the classes of <paramref name="train"/>.</summary>
    /// <exception cref="WorkbenchInputException">The class sets differ.</exception>
    public static void CheckSameClasses(ImageDataset train, ImageDataset test)
    {
        var a = train.Examples.ClassNames;
        var b = test.Examples.ClassNames;
        if (a.SequenceEqual(b)) return;
        var missing = a.Except(b).ToList();
        var extra = b.Except(a).ToList();
        throw new WorkbenchInputException(
            $"Test data '{test.Path}' has different classes from training data '{train.Path}' (missing: [{MessageText.List(missing)}], extra: [{MessageText.List(extra)}]).");
    }

    private static List<(string, string)> ListFolder(string folder)
    {
        var files = new List<(string, string)>();
        foreach (var classFolder in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            var label = System.IO.Path.GetFileName(classFolder);
            if (label.StartsWith('.')) continue;
            files.AddRange(Directory.EnumerateFiles(classFolder, "*", SearchOption.AllDirectories)
                .Where(f => !System.IO.Path.GetFileName(f).StartsWith('.'))
                .Select(f => (f, label)));
        }
        if (files.Count == 0 && Directory.EnumerateFiles(folder).Any())
            throw new WorkbenchInputException($"Image folder '{folder}' has files but no class sub-folders; put each class's images in a sub-folder named after the class.");
        return files;
    }

    private static List<(string, string)> ListCsv(string csv, Encoding? encoding)
    {
        var directory = System.IO.Path.GetDirectoryName(csv)!;
        var rows = new List<(string, string)>();
        var (text, _) = Data.DataFileText.Open(csv, "Image list", encoding);
        using var reader = text;
        var n = -1;
        while (reader.ReadLine() is { } read)
        {
            n++;
            var line = read.Trim();
            if (line.Length == 0) continue;
            var cut = line.LastIndexOf(',');
            if (cut <= 0 || cut == line.Length - 1)
                throw new WorkbenchInputException($"Image list '{csv}' line {n + 1} is not 'path,label'.");
            var (file, label) = (Unquote(line[..cut]), Unquote(line[(cut + 1)..]));
            // Path.GetFullPath throws ArgumentException on a NUL character; say which line holds it instead.
            if (file.Contains('\0'))
                throw new WorkbenchInputException($"Image list '{csv}' line {n + 1}: the path holds a NUL character.");
            if (n == 0 && rows.Count == 0 && file.ToLowerInvariant() is "path" or "file" or "image" or "filename") continue;
            rows.Add((System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, file)), label));
        }
        return rows;

        static string Unquote(string s) => s.Trim().Trim('"').Trim();
    }

    private static string Hash(string root, List<(string Path, string Label)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (file, label) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{System.IO.Path.GetRelativePath(root, file).Replace('\\', '/')}|{label}|"));
            if (File.Exists(file)) hash.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
