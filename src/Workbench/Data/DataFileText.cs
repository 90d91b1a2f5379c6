using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MLWorkbench.Tasks;

namespace MLWorkbench.Data;

/// <summary>
/// The one way a user's text file (tabular CSV/TSV, text-classification file, sentence pairs, image list, suite) becomes
/// text. UTF-8 unless an encoding is named; a byte order mark (UTF-8, UTF-16) wins over the named encoding. Every byte
/// is checked before a field is parsed, so a file in another encoding is refused with the line and byte offset of its
/// first invalid byte instead of being read as garbled categories that never match the same word typed correctly later.
/// </summary>
public static class DataFileText
{
    /// <summary>The names <see cref="ParseEncoding"/> suggests in its messages.</summary>
    public const string EncodingExamples = "utf-8, latin1 (iso-8859-1), windows-1252, utf-16";

    /// <summary>
    /// Reads <paramref name="path"/> and checks that every byte decodes in <paramref name="encoding"/> (null: UTF-8).
    /// <paramref name="description"/> starts every message, e.g. <c>Data file</c>.
    /// </summary>
    /// <returns>A reader over the decoded text (the caller disposes it) and the SHA-256 of the file's bytes, lower-case hex.</returns>
    /// <exception cref="WorkbenchInputException">The file does not exist, cannot be read, or holds a byte the encoding does not allow.</exception>
    public static (TextReader Text, string Sha256) Open(string path, string description, Encoding? encoding = null)
    {
        var bytes = ReadBytes(path, description);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var (used, bom) = Detect(bytes, encoding);
        Check(path, description, bytes, bom, used, explicitEncoding: encoding is not null);
        var reader = new StreamReader(new MemoryStream(bytes, bom, bytes.Length - bom, writable: false), used, detectEncodingFromByteOrderMarks: false);
        return (reader, sha);
    }

    /// <summary>As <see cref="Open"/>, the whole text at once.</summary>
    /// <exception cref="WorkbenchInputException">As <see cref="Open"/>.</exception>
    public static (string Text, string Sha256) ReadAll(string path, string description, Encoding? encoding = null)
    {
        var (reader, sha) = Open(path, description, encoding);
        using (reader) return (reader.ReadToEnd(), sha);
    }

    /// <summary>
    /// The encoding a user names (<c>--encoding</c>, <c>encoding:</c> in a suite): any name .NET knows, including the
    /// Windows code pages (<c>windows-1252</c>, <c>cp1252</c>); decoding it refuses bytes it does not define rather than
    /// replacing them.
    /// </summary>
    /// <exception cref="WorkbenchInputException">No encoding has that name.</exception>
    public static Encoding ParseEncoding(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        // Code pages are asked of their provider directly: registering it would change Encoding.GetEncoding for the whole process.
        Encoding? found = null;
        try
        {
            found = Encoding.GetEncoding(trimmed, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }
        catch (ArgumentException)
        {
            found = CodePagesEncodingProvider.Instance.GetEncoding(trimmed, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }
        if (trimmed.Length == 0 || found is null)
            throw new WorkbenchInputException(
                $"Unknown encoding '{MessageText.Clip(name)}'; use a name such as {EncodingExamples}.");
        return found;
    }

    /// <summary>
    /// The file's bytes, exactly as many as its length says: a device or pipe named as a data file (<c>/dev/zero</c>,
    /// <c>/dev/stdin</c>) reports no length and never ends, and would otherwise be read until memory runs out.
    /// </summary>
    private static byte[] ReadBytes(string path, string description)
    {
        if (!File.Exists(path)) throw new WorkbenchInputException($"{description} '{path}' does not exist.");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            if (!stream.CanSeek) throw NotAFile();
            if (stream.Length > Array.MaxLength)
                throw new WorkbenchInputException(string.Create(CultureInfo.InvariantCulture,
                    $"{description} '{path}' is {stream.Length:N0} bytes; at most {Array.MaxLength:N0} can be read."));
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            if (stream.ReadByte() != -1) throw NotAFile();
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchInputException($"{description} '{path}' cannot be read: {e.Message.ReplaceLineEndings(" ").TrimEnd('.')}.", e);
        }

        WorkbenchInputException NotAFile() =>
            new($"{description} '{path}' is not a regular file (or it grew while it was read); give a file saved on disk.");
    }

    /// <summary>The encoding to decode with, and the length of the byte order mark to skip.</summary>
    private static (Encoding Encoding, int Bom) Detect(ReadOnlySpan<byte> bytes, Encoding? named)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return (StrictUtf8, 3);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return (new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true), 2);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return (new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true), 2);
        return (named ?? StrictUtf8, 0);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void Check(string path, string description, byte[] bytes, int bom, Encoding encoding, bool explicitEncoding)
    {
        var body = bytes.AsSpan(bom);
        int offset;
        if (encoding is UTF8Encoding)
        {
            if (System.Text.Unicode.Utf8.IsValid(body)) return;
            offset = FirstInvalidUtf8(body);
        }
        else
        {
            try
            {
                encoding.GetCharCount(bytes, bom, bytes.Length - bom);
                return;
            }
            catch (DecoderFallbackException e)
            {
                offset = Math.Clamp(e.Index, 0, Math.Max(0, body.Length - 1));
            }
        }
        var line = Line(body[..offset], encoding);
        var name = encoding is UTF8Encoding ? "UTF-8" : encoding.WebName;
        var hint = explicitEncoding && encoding is not UTF8Encoding
            ? "name the file's real encoding with --encoding ('encoding:' in a suite), or save it as UTF-8"
            : "save the file as UTF-8, or name its encoding with --encoding (e.g. --encoding latin1 or windows-1252; 'encoding:' in a suite)";
        throw new WorkbenchInputException(string.Create(CultureInfo.InvariantCulture,
            $"{description} '{path}', line {line}: byte 0x{body[offset]:X2} at offset {offset + bom} is not valid {name}; {hint}."));
    }

    /// <summary>The index of the first byte that does not start or continue a valid UTF-8 sequence.</summary>
    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var index = 0;
        while (index < bytes.Length)
        {
            var status = Rune.DecodeFromUtf8(bytes[index..], out _, out var consumed);
            if (status != OperationStatus.Done) return index;
            index += consumed;
        }
        return bytes.Length - 1;
    }

    /// <summary>The 1-based line on which the text before an invalid byte ends.</summary>
    private static int Line(ReadOnlySpan<byte> before, Encoding encoding)
    {
        if (encoding is UTF8Encoding) return before.Count((byte)'\n') + 1;
        // The prefix may end inside the bad sequence (half a UTF-16 surrogate pair; found by fuzzing): count it leniently.
        var lenient = (Encoding)encoding.Clone();
        lenient.DecoderFallback = DecoderFallback.ReplacementFallback;
        return lenient.GetString(before).AsSpan().Count('\n') + 1;
    }
}
