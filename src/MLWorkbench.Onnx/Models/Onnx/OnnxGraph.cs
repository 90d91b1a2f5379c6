using System.Runtime.InteropServices;
using System.Text;

namespace MLWorkbench.Models.Onnx;

/// <summary>One node of an ONNX graph: its operator and the names of the values it reads and writes.</summary>
internal sealed record OnnxNode(string Name, string OperatorType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>A constant tensor of an ONNX graph (an initializer), its bytes not yet decoded.</summary>
internal sealed class OnnxTensor(string name, long[] dimensions, int dataType, ReadOnlyMemory<byte> rawData, ReadOnlyMemory<byte> floatData)
{
    /// <summary>ONNX <c>TensorProto.DataType.FLOAT</c>.</summary>
    public const int Float = 1;

    public string Name { get; } = name;
    public long[] Dimensions { get; } = dimensions;
    public int DataType { get; } = dataType;
    public long ElementCount => Dimensions.Aggregate(1L, (product, d) => product * d);

    /// <summary>The values of a float tensor (from <c>raw_data</c> or the packed <c>float_data</c>), row-major.</summary>
    public float[] ToFloats()
    {
        if (DataType != Float) throw new InvalidDataException($"ONNX tensor '{Name}' has data type {DataType}, not float.");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX tensor data is little-endian; this machine is not.");
        var bytes = rawData.Length > 0 ? rawData : floatData;
        if (bytes.Length != ElementCount * sizeof(float))
            throw new InvalidDataException($"ONNX tensor '{Name}' holds {bytes.Length} bytes for {ElementCount} floats (external data is not supported).");
        return MemoryMarshal.Cast<byte, float>(bytes.Span).ToArray();
    }
}

/// <summary>
/// The parts of an ONNX model that weight mapping needs: nodes, initializers, graph inputs and outputs. Read with
/// a small protobuf wire-format reader over the model's bytes (no copies of tensor data until asked).
/// </summary>
internal sealed class OnnxGraph
{
    private OnnxGraph(List<OnnxNode> nodes, Dictionary<string, OnnxTensor> initializers, List<string> inputs, List<string> outputs)
    {
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
    }

    public IReadOnlyList<OnnxNode> Nodes { get; }
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<string> Outputs { get; }

    // Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5, input = 11,
    // output = 12; NodeProto.input = 1, output = 2, name = 3, op_type = 4; ValueInfoProto.name = 1;
    // TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9.
    public static OnnxGraph Read(ReadOnlyMemory<byte> model)
    {
        ReadOnlyMemory<byte>? graph = null;
        foreach (var field in new ProtoReader(model).Fields())
            if (field.Number == 7) graph = field.Bytes;
        if (graph is null) throw new InvalidDataException("The ONNX model has no graph.");

        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        List<string> inputs = [], outputs = [];
        foreach (var field in new ProtoReader(graph.Value).Fields())
        {
            switch (field.Number)
            {
                case 1: nodes.Add(ReadNode(field.Bytes)); break;
                case 5:
                    var tensor = ReadTensor(field.Bytes);
                    initializers[tensor.Name] = tensor;
                    break;
                case 11: inputs.Add(ReadValueName(field.Bytes)); break;
                case 12: outputs.Add(ReadValueName(field.Bytes)); break;
            }
        }
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    private static OnnxNode ReadNode(ReadOnlyMemory<byte> bytes)
    {
        List<string> inputs = [], outputs = [];
        string name = "", op = "";
        foreach (var field in new ProtoReader(bytes).Fields())
        {
            switch (field.Number)
            {
                case 1: inputs.Add(field.Text); break;
                case 2: outputs.Add(field.Text); break;
                case 3: name = field.Text; break;
                case 4: op = field.Text; break;
            }
        }
        return new OnnxNode(name, op, inputs, outputs);
    }

    private static string ReadValueName(ReadOnlyMemory<byte> bytes)
    {
        foreach (var field in new ProtoReader(bytes).Fields())
            if (field.Number == 1) return field.Text;
        return "";
    }

    private static OnnxTensor ReadTensor(ReadOnlyMemory<byte> bytes)
    {
        var dims = new List<long>();
        int dataType = 0;
        string name = "";
        ReadOnlyMemory<byte> raw = default, floats = default;
        foreach (var field in new ProtoReader(bytes).Fields())
        {
            switch (field.Number)
            {
                case 1 when field.WireType == 0: dims.Add((long)field.Varint); break;
                case 1: dims.AddRange(ProtoReader.PackedVarints(field.Bytes).Select(v => (long)v)); break;
                case 2: dataType = (int)field.Varint; break;
                case 4 when field.WireType == 2: floats = field.Bytes; break;
                case 4: throw new InvalidDataException("Unpacked float_data in an ONNX tensor is not supported.");
                case 8: name = field.Text; break;
                case 9: raw = field.Bytes; break;
            }
        }
        return new OnnxTensor(name, dims.ToArray(), dataType, raw, floats);
    }

    /// <summary>A protobuf field: its number, wire type, and either a varint or a length-delimited slice.</summary>
    private readonly record struct ProtoField(int Number, int WireType, ulong Varint, ReadOnlyMemory<byte> Bytes)
    {
        public string Text => Encoding.UTF8.GetString(Bytes.Span);
    }

    /// <summary>Protobuf wire format, just enough of it: varints, fixed 32/64-bit and length-delimited fields.</summary>
    private readonly struct ProtoReader(ReadOnlyMemory<byte> buffer)
    {
        public List<ProtoField> Fields()
        {
            var fields = new List<ProtoField>();
            var position = 0;
            while (position < buffer.Length)
            {
                var key = ReadVarint(buffer.Span, ref position);
                var number = (int)(key >> 3);
                var wireType = (int)(key & 7);
                switch (wireType)
                {
                    case 0:
                        fields.Add(new ProtoField(number, wireType, ReadVarint(buffer.Span, ref position), default));
                        break;
                    case 1:
                        fields.Add(new ProtoField(number, wireType, 0, Slice(ref position, 8)));
                        break;
                    case 2:
                        var length = ReadVarint(buffer.Span, ref position);
                        if (length > (ulong)(buffer.Length - position)) throw new InvalidDataException("Truncated protobuf field in the ONNX model.");
                        fields.Add(new ProtoField(number, wireType, 0, Slice(ref position, (int)length)));
                        break;
                    case 5:
                        fields.Add(new ProtoField(number, wireType, 0, Slice(ref position, 4)));
                        break;
                    default:
                        throw new InvalidDataException($"Unsupported protobuf wire type {wireType} in the ONNX model.");
                }
            }
            return fields;
        }

        public static IEnumerable<ulong> PackedVarints(ReadOnlyMemory<byte> bytes)
        {
            var values = new List<ulong>();
            var position = 0;
            while (position < bytes.Length) values.Add(ReadVarint(bytes.Span, ref position));
            return values;
        }

        private ReadOnlyMemory<byte> Slice(ref int position, int length)
        {
            if (position + length > buffer.Length) throw new InvalidDataException("Truncated protobuf field in the ONNX model.");
            var slice = buffer.Slice(position, length);
            position += length;
            return slice;
        }

        private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position)
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (position >= span.Length) throw new InvalidDataException("Truncated varint in the ONNX model.");
                var b = span[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return value;
            }
            throw new InvalidDataException("Malformed varint in the ONNX model.");
        }
    }
}
