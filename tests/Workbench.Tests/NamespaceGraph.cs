using Mono.Cecil;
using Mono.Cecil.Cil;

namespace MLWorkbench.Tests;

/// <summary>
/// The namespace dependency graph of one assembly, read from its IL with Mono.Cecil (the reader NetArchTest.Rules
/// brings): namespace A depends on namespace B when a type of A names a type of B anywhere (base type, interfaces,
/// fields, signatures, attributes, locals, the operands of its method bodies). Nested and compiler-generated types
/// count for the namespace of the type that declares them. <see cref="Cycles"/> gives its strongly connected
/// components larger than one namespace: the namespaces that reach each other.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly SortedDictionary<string, SortedSet<string>> edges = new(StringComparer.Ordinal);

    // Why one edge exists: the first type found that makes it, for messages.
    private readonly Dictionary<(string From, string To), string> witnesses = [];

    private NamespaceGraph() { }

    /// <summary>The namespaces of the assembly and the namespaces of the same assembly each depends on.</summary>
    public IReadOnlyDictionary<string, SortedSet<string>> Edges => edges;

    /// <summary>Reads the graph of the assembly at <paramref name="path"/>, keeping namespaces under <paramref name="root"/>.</summary>
    public static NamespaceGraph Read(string path, string root)
    {
        var graph = new NamespaceGraph();
        using var module = ModuleDefinition.ReadModule(path);
        foreach (var type in module.Types.SelectMany(Flatten))
        {
            var from = NamespaceOf(type);
            if (!InRoot(from, root)) continue;
            graph.edges.TryAdd(from, new SortedSet<string>(StringComparer.Ordinal));
            foreach (var reference in ReferencesOf(type))
            {
                var to = NamespaceOf(reference);
                if (to == from || !InRoot(to, root) || !IsLocal(reference, module)) continue;
                if (graph.edges[from].Add(to)) graph.witnesses[(from, to)] = $"{type.FullName} → {reference.FullName}";
            }
        }
        return graph;
    }

    /// <summary>A type that makes the edge <paramref name="from"/> → <paramref name="to"/>, for messages.</summary>
    public string Witness(string from, string to) => witnesses.TryGetValue((from, to), out var w) ? w : "";

    /// <summary>The strongly connected components with more than one namespace (Tarjan), each sorted, largest first.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var onStack = new HashSet<string>();
        var stack = new Stack<string>();
        var components = new List<IReadOnlyList<string>>();
        var next = 0;

        void Visit(string node)
        {
            index[node] = low[node] = next++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var target in edges.GetValueOrDefault(node) ?? [])
            {
                if (!index.ContainsKey(target))
                {
                    Visit(target);
                    low[node] = Math.Min(low[node], low[target]);
                }
                else if (onStack.Contains(target)) low[node] = Math.Min(low[node], index[target]);
            }
            if (low[node] != index[node]) return;
            var component = new List<string>();
            string member;
            do
            {
                member = stack.Pop();
                onStack.Remove(member);
                component.Add(member);
            } while (member != node);
            if (component.Count > 1) components.Add([.. component.Order(StringComparer.Ordinal)]);
        }

        foreach (var node in edges.Keys) if (!index.ContainsKey(node)) Visit(node);
        return [.. components.OrderByDescending(c => c.Count)];
    }

    /// <summary>One line per edge inside <paramref name="component"/>, with the type that makes it.</summary>
    public IEnumerable<string> Describe(IReadOnlyList<string> component) =>
        from a in component
        from b in edges[a]
        where component.Contains(b)
        select $"{a} → {b} ({Witness(a, b)})";

    private static bool InRoot(string ns, string root) => ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal);

    // Types of other assemblies (MLWorkbench.Results shares the root name) are references to another scope.
    private static bool IsLocal(TypeReference reference, ModuleDefinition module) =>
        reference is TypeDefinition || reference.Scope == module;

    private static string NamespaceOf(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type.Namespace;
    }

    private static IEnumerable<TypeDefinition> Flatten(TypeDefinition type) =>
        type.NestedTypes.SelectMany(Flatten).Prepend(type);

    private static IEnumerable<TypeReference> ReferencesOf(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? t)
        {
            switch (t)
            {
                case null: return;
                case GenericInstanceType g:
                    Add(g.ElementType);
                    foreach (var a in g.GenericArguments) Add(a);
                    return;
                case TypeSpecification s:
                    Add(s.ElementType);
                    return;
                case GenericParameter: return;
                default: found.Add(t); return;
            }
        }
        void AddMethod(MethodReference m)
        {
            Add(m.DeclaringType);
            Add(m.ReturnType);
            foreach (var p in m.Parameters) Add(p.ParameterType);
            if (m is GenericInstanceMethod gm) foreach (var a in gm.GenericArguments) Add(a);
        }
        void AddAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                AddMethod(attribute.Constructor);
                foreach (var argument in attribute.ConstructorArguments)
                    if (argument.Value is TypeReference t) Add(t);
            }
        }

        Add(type.BaseType);
        foreach (var i in type.Interfaces) Add(i.InterfaceType);
        foreach (var g in type.GenericParameters) foreach (var c in g.Constraints) Add(c.ConstraintType);
        AddAttributes(type);
        foreach (var f in type.Fields) { Add(f.FieldType); AddAttributes(f); }
        foreach (var p in type.Properties) { Add(p.PropertyType); AddAttributes(p); }
        foreach (var e in type.Events) Add(e.EventType);
        foreach (var m in type.Methods)
        {
            AddMethod(m);
            AddAttributes(m);
            foreach (var g in m.GenericParameters) foreach (var c in g.Constraints) Add(c.ConstraintType);
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) Add(v.VariableType);
            foreach (var instruction in m.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t: Add(t); break;
                    case MethodReference mr: AddMethod(mr); break;
                    case FieldReference fr: Add(fr.DeclaringType); Add(fr.FieldType); break;
                }
            }
        }
        return found;
    }
}
