using System.Reflection;
using System.Xml.Linq;

namespace MLWorkbench.Tests;

/// <summary>
/// The library's public surface stays small and documented: at most 50 exported types (nested ones included), each
/// type and member with an XML doc comment in MLWorkbench.xml. The build already refuses an undocumented public member
/// (CS1591 is an error with GenerateDocumentationFile on); this test also catches a doc file that went missing.
/// </summary>
public sealed class PublicApiTests
{
    private const int MaxExportedTypes = 50;

    private static readonly Assembly Library = typeof(Workbench).Assembly;

    [Fact]
    public void The_library_exports_at_most_fifty_types()
    {
        var exported = Library.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToList();
        Assert.True(exported.Count <= MaxExportedTypes,
            $"{exported.Count} exported types, over {MaxExportedTypes}; make the ones users do not pass or call internal:\n" + string.Join("\n", exported));
    }

    [Fact]
    public void Every_exported_type_and_member_has_xml_docs()
    {
        var docFile = Path.ChangeExtension(Library.Location, ".xml");
        Assert.True(File.Exists(docFile), $"no XML documentation beside {Library.Location}");
        var members = XDocument.Load(docFile).Descendants("member").Where(m => m.Attribute("name") is not null)
            .ToDictionary(m => (string)m.Attribute("name")!, StringComparer.Ordinal);
        var documented = members.Keys.ToHashSet(StringComparer.Ordinal);
        // A record's positional properties are documented by the record's <param> tags.
        bool IsParam(string typeId, string name) => members.TryGetValue("T:" + typeId, out var t)
            && t.Elements("param").Any(p => (string?)p.Attribute("name") == name);
        var missing = new List<string>();
        foreach (var type in Library.GetExportedTypes())
        {
            var typeId = DocId(type);
            if (!documented.Contains("T:" + typeId)) missing.Add("T:" + typeId);
            const BindingFlags declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var p in type.GetProperties(declared))
                if (!documented.Contains($"P:{typeId}.{p.Name}") && !IsParam(typeId, p.Name)
                    && !documented.Any(d => d.StartsWith($"P:{typeId}.{p.Name}(", StringComparison.Ordinal)))
                    missing.Add($"P:{typeId}.{p.Name}");
            foreach (var f in type.GetFields(declared).Where(f => !f.IsSpecialName))
                if (!documented.Contains($"F:{typeId}.{f.Name}")) missing.Add($"F:{typeId}.{f.Name}");
            foreach (var m in type.GetMethods(declared).Where(m => !m.IsSpecialName && !IsRecordMember(type, m)))
                if (!documented.Any(d => d == $"M:{typeId}.{m.Name}" || d.StartsWith($"M:{typeId}.{m.Name}(", StringComparison.Ordinal)
                                         || d.StartsWith($"M:{typeId}.{m.Name}``", StringComparison.Ordinal)))
                    missing.Add($"M:{typeId}.{m.Name}");
        }
        Assert.True(missing.Count == 0, "public API without XML docs:\n" + string.Join("\n", missing.Distinct()));
    }

    // The compiler writes these for records and enums; they have no source to document.
    private static bool IsRecordMember(Type type, MethodInfo m) =>
        m.Name is "Equals" or "GetHashCode" or "ToString" or "Deconstruct" or "<Clone>$" or "PrintMembers" || type.IsEnum;

    private static string DocId(Type type) => type.FullName!.Replace('+', '.');
}
