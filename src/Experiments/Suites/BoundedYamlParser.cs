using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MLWorkbench.Cli.Suites;

/// <summary>
/// Passes YAML parsing events through and refuses, at the event that crosses a limit, a document nested deeper than
/// <see cref="MaxDepth"/> or one with more than <see cref="MaxNodes"/> nodes once its aliases are expanded.
/// YamlDotNet's representation model builds nodes by recursion (100,000 nested brackets overflow the stack and kill the
/// process) and hashes mapping keys with their aliases expanded (a 400-byte alias bomb used as a key takes minutes);
/// counting here bounds both before a node is built. An alias to a node that contains it is refused too, since that
/// node could never be hashed or walked.
/// </summary>
internal sealed class BoundedYamlParser(IParser inner) : IParser
{
    /// <summary>Deepest nesting of sequences and mappings accepted; a suite needs five.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most nodes accepted, each alias counted as the nodes it stands for; a large suite has a few thousand.</summary>
    public const int MaxNodes = 100_000;

    // Per open collection: its anchor and the nodes it holds so far (itself included).
    private readonly Stack<(AnchorName Anchor, long Nodes)> _open = new();
    private readonly Dictionary<AnchorName, long> _anchored = [];
    private long _nodes;

    public ParsingEvent? Current => inner.Current;

    /// <summary>Where the last event read ends (line and column 1-based); null before the first.</summary>
    public Mark? Position { get; private set; }

    public bool MoveNext()
    {
        if (!inner.MoveNext()) return false;
        Position = inner.Current?.End;
        switch (inner.Current)
        {
            case SequenceStart or MappingStart:
                var start = (NodeEvent)inner.Current;
                if (_open.Count >= MaxDepth)
                    throw new YamlException(start.Start, start.End, $"the suite is nested more than {MaxDepth} levels deep");
                Count(start, 1);
                _open.Push((start.Anchor, 1));
                break;
            case SequenceEnd or MappingEnd:
                if (_open.Count == 0) break;
                var (anchor, nodes) = _open.Pop();
                if (!anchor.IsEmpty) _anchored[anchor] = nodes;
                if (_open.Count > 0) _open.Push(Add(_open.Pop(), nodes));
                break;
            case Scalar scalar:
                Count(scalar, 1);
                if (_open.Count > 0) _open.Push(Add(_open.Pop(), 1));
                if (!scalar.Anchor.IsEmpty) _anchored[scalar.Anchor] = 1;
                break;
            case AnchorAlias alias:
                if (_open.Any(o => o.Anchor.Equals(alias.Value)))
                    throw new YamlException(alias.Start, alias.End, $"alias '*{alias.Value}' refers to a node that contains it");
                // An unknown anchor is YamlDotNet's to report; it counts as one node here.
                var size = _anchored.GetValueOrDefault(alias.Value, 1);
                Count(alias, size);
                if (_open.Count > 0) _open.Push(Add(_open.Pop(), size));
                break;
            case DocumentStart:
                // Anchors and counts are per document, as in YAML; so is the limit.
                _nodes = 0;
                _open.Clear();
                _anchored.Clear();
                break;
        }
        return true;
    }

    private static (AnchorName, long) Add((AnchorName Anchor, long Nodes) open, long nodes) => (open.Anchor, open.Nodes + nodes);

    private void Count(ParsingEvent at, long nodes)
    {
        _nodes += nodes;
        if (_nodes > MaxNodes)
            throw new YamlException(at.Start, at.End, string.Create(CultureInfo.InvariantCulture,
                $"the suite has more than {MaxNodes:N0} nodes once its aliases are expanded"));
    }
}
