using System.Globalization;
using System.Text;

namespace MLWorkbench.Tests;

/// <summary>Small synthetic data sets with a known answer.</summary>
internal static class Synthetic
{
    /// <summary>y = 2 + 3·x1 − 1.5·x2 + 0.5·x3 + noise, plus a categorical column that shifts y.</summary>
    public static string LinearCsv(string folder, int rows = 300, int seed = 7, double noise = 0.1)
    {
        var random = new Random(seed);
        var text = new StringBuilder("id,x1,x2,x3,colour,y\n");
        for (var i = 0; i < rows; i++)
        {
            double x1 = random.NextDouble() * 2 - 1, x2 = random.NextDouble() * 2 - 1, x3 = random.NextDouble() * 2 - 1;
            var colour = (i % 3) switch { 0 => "red", 1 => "green", _ => "blue" };
            var shift = colour == "red" ? 1.0 : 0.0;
            var y = 2 + 3 * x1 - 1.5 * x2 + 0.5 * x3 + shift + noise * (random.NextDouble() * 2 - 1);
            text.Append(CultureInfo.InvariantCulture, $"row{i},{x1:R},{x2:R},{x3:R},{colour},{y:R}\n");
        }
        var path = Path.Combine(folder, "linear.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mlwb-tests-" + Guid.NewGuid().ToString("N")[..12]);
    public string File(string name, string content)
    {
        var path = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
