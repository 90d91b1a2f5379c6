using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace MLWorkbench.Cli.Suites;

/// <summary>
/// Passes YAML parsing events through and refuses, at the event that crosses a limit, a document nested deeper than
/// <see cref="MaxDepth"/>, or one with more than <see cref="MaxNodes"/> nodes or <see cref="MaxCharacters"/> characters of
/// scalars once its aliases are expanded.
/// YamlDotNet's representation model builds nodes by recursion (100,000 nested brackets overflow the stack and kill the
/// process) and hashes mapping keys with their aliases expanded (a 400-byte alias bomb used as a key takes minutes);
/// counting here bounds both before a node is built. Characters count because hashing a key hashes every scalar in it:
/// one long scalar behind many aliases costs as much as many nodes. An alias to a node that contains it is refused too, since that
/// node could never be hashed or walked.
/// </summary>
internal sealed class BoundedYamlParser(IParser inner) : IParser
{
    /// <summary>Deepest nesting of sequences and mappings accepted; a suite needs five.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most nodes accepted, each alias counted as the nodes it stands for; a large suite has a few thousand.</summary>
    public const int MaxNodes = 100_000;

    /// <summary>Most characters of scalars accepted, each alias counted as the characters it stands for (twice the largest suite file).</summary>
    public const int MaxCharacters = 2 * SuiteReader.MaxBytes;

    /// <summary>What a node stands for once its aliases are expanded.</summary>
    private readonly record struct Size(long Nodes, long Characters)
    {
        public static Size operator +(Size a, Size b) => new(a.Nodes + b.Nodes, a.Characters + b.Characters);
    }

    // Per open collection: its anchor and what it holds so far (itself included).
    private readonly Stack<(AnchorName Anchor, Size Size)> _open = new();
    private readonly Dictionary<AnchorName, Size> _anchored = [];
    private Size _total;

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
                Count(start, new Size(1, 0));
                _open.Push((start.Anchor, new Size(1, 0)));
                break;
            case SequenceEnd or MappingEnd:
                if (_open.Count == 0) break;
                var (anchor, size) = _open.Pop();
                if (!anchor.IsEmpty) _anchored[anchor] = size;
                AddToParent(size);
                break;
            case Scalar scalar:
                var text = new Size(1, scalar.Value.Length);
                Count(scalar, text);
                AddToParent(text);
                if (!scalar.Anchor.IsEmpty) _anchored[scalar.Anchor] = text;
                break;
            case AnchorAlias alias:
                if (_open.Any(o => o.Anchor.Equals(alias.Value)))
                    throw new YamlException(alias.Start, alias.End, $"alias '*{alias.Value}' refers to a node that contains it");
                // An unknown anchor is YamlDotNet's to report; it counts as one node here.
                var expanded = _anchored.GetValueOrDefault(alias.Value, new Size(1, 0));
                Count(alias, expanded);
                AddToParent(expanded);
                break;
            case DocumentStart:
                // Anchors and counts are per document, as in YAML; so is the limit.
                _total = default;
                _open.Clear();
                _anchored.Clear();
                break;
        }
        return true;
    }

    private void AddToParent(Size size)
    {
        if (_open.Count == 0) return;
        var (anchor, held) = _open.Pop();
        _open.Push((anchor, held + size));
    }

    private void Count(ParsingEvent at, Size size)
    {
        _total += size;
        if (_total.Nodes > MaxNodes)
            throw new YamlException(at.Start, at.End, string.Create(CultureInfo.InvariantCulture,
                $"the suite has more than {MaxNodes:N0} nodes once its aliases are expanded"));
        if (_total.Characters > MaxCharacters)
            throw new YamlException(at.Start, at.End, string.Create(CultureInfo.InvariantCulture,
                $"the suite has more than {MaxCharacters:N0} characters of values once its aliases are expanded"));
    }
}
