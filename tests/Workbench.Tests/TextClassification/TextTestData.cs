using System.Text;

namespace MLWorkbench.Tests.TextClassification;

/// <summary>Files the text tests share: the bundled intents set, its Chinese-only part, and a synthetic keyword task.</summary>
public sealed class TextTestData : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"mlwb-text-{Guid.NewGuid():N}");

    public TextTestData()
    {
        Directory.CreateDirectory(_folder);
        Intents = FindIntents();
        var lines = File.ReadAllLines(Intents, Encoding.UTF8);
        ChineseIntents = Write("intents-zh.csv", [lines[0], .. lines.Skip(1).Where(l => l.EndsWith(",zh", StringComparison.Ordinal))]);
        Keywords = Write("keywords.csv", KeywordTask(300, 5));
    }

    /// <summary>datasets/intents/intents.csv of the repository.</summary>
    public string Intents { get; }

    /// <summary>The Chinese rows of the intents set (texts without spaces).</summary>
    public string ChineseIntents { get; }

    /// <summary>
    /// A synthetic task a sequence model must read tokens for: 8 random filler words and one of three keywords
    /// at a random position; the keyword is the class.
    /// </summary>
    public string Keywords { get; }

    /// <summary>Writes <paramref name="lines"/> to a new file in the fixture's folder.</summary>
    public string Write(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllLines(path, lines, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Writes raw bytes to a new file in the fixture's folder.</summary>
    public string WriteBytes(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static IEnumerable<string> KeywordTask(int rows, int seed)
    {
        string[] filler = ["table", "river", "green", "quickly", "under", "paper", "music", "window", "seven", "light", "stone", "yellow", "over", "train", "apple", "cloud"];
        string[] keywords = ["alpha", "bravo", "charlie"];
        var random = new Random(seed);
        yield return "text,label";
        for (var i = 0; i < rows; i++)
        {
            var words = Enumerable.Range(0, 8).Select(_ => filler[random.Next(filler.Length)]).ToList();
            var k = i % keywords.Length;
            words.Insert(random.Next(words.Count + 1), keywords[k]);
            yield return $"{string.Join(' ', words)},{keywords[k]}";
        }
    }

    private static string FindIntents() => Repository.Dataset("intents", "intents.csv");

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
