using System.Security.Cryptography;
using System.Text;
using MLWorkbench.Tasks;

namespace MLWorkbench.Bundles;

/// <summary>
/// A key that signs bundles or checks their signatures: a shared secret (HMAC-SHA256; the same file signs and checks),
/// or an ECDSA key pair in PEM (the private key signs, the public key checks, so a service needs only the public one).
/// Make one with <c>head -c 32 /dev/urandom &gt; bundle.key</c>, or
/// <c>openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out private.pem</c> and
/// <c>openssl ec -in private.pem -pubout -out public.pem</c>.
/// </summary>
public sealed class BundleKey : IDisposable
{
    /// <summary>The algorithm name for shared secrets.</summary>
    public const string Hmac = "HMAC-SHA256";

    /// <summary>The algorithm name for ECDSA keys (signature over SHA-256, IEEE P1363 format).</summary>
    public const string Ecdsa = "ECDSA-SHA256";

    private const int MinSecretBytes = 32;
    private readonly byte[]? _secret;
    private readonly ECDsa? _ecdsa;

    private BundleKey(byte[]? secret, ECDsa? ecdsa, bool canSign, string keyId)
    {
        _secret = secret;
        _ecdsa = ecdsa;
        CanSign = canSign;
        KeyId = keyId;
    }

    /// <summary><see cref="Hmac"/> or <see cref="Ecdsa"/>.</summary>
    public string Algorithm => _secret is null ? Ecdsa : Hmac;

    /// <summary>True for a secret or a private key; a public key only checks signatures.</summary>
    public bool CanSign { get; }

    /// <summary>A short fingerprint that names the key in signatures and messages (never the secret itself).</summary>
    public string KeyId { get; }

    /// <summary>A shared secret of at least 32 bytes.</summary>
    /// <exception cref="ArgumentException">The secret is shorter than 32 bytes.</exception>
    public static BundleKey FromSecret(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinSecretBytes)
            throw new ArgumentException($"A bundle signing secret needs at least {MinSecretBytes} bytes; this one has {secret.Length}.", nameof(secret));
        var copy = secret.ToArray();
        var id = Convert.ToHexStringLower(HMACSHA256.HashData(copy, "mlwb-key-id"u8))[..16];
        return new BundleKey(copy, null, canSign: true, id);
    }

    /// <summary>An ECDSA private or public key in PEM (PKCS#8, SEC1 or SubjectPublicKeyInfo).</summary>
    /// <exception cref="ArgumentException">The text holds no EC key.</exception>
    public static BundleKey FromPem(string pem)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
            throw new ArgumentException("The PEM text holds no ECDSA key (expected a PRIVATE KEY, EC PRIVATE KEY or PUBLIC KEY block).", nameof(pem), e);
        }
        var canSign = pem.Contains("PRIVATE KEY", StringComparison.Ordinal);
        var id = Convert.ToHexStringLower(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo()))[..16];
        return new BundleKey(null, ecdsa, canSign, id);
    }

    /// <summary>Reads a key file: PEM text with an ECDSA key, or otherwise the file's bytes as a shared secret.</summary>
    /// <exception cref="WorkbenchInputException">The file is missing, unreadable, or not a usable key; the message names it.</exception>
    public static BundleKey FromFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkbenchInputException($"Key file '{path}' cannot be read: {e.Message}", e);
        }
        try
        {
            var text = Encoding.ASCII.GetString(bytes);
            return text.Contains("-----BEGIN ", StringComparison.Ordinal) ? FromPem(text) : FromSecret(bytes);
        }
        catch (ArgumentException e)
        {
            // The sentence without ArgumentException's " (Parameter 'x')" suffix.
            var reason = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new WorkbenchInputException($"Key file '{path}' is not a usable key: {reason}", e);
        }
    }

    internal byte[] Sign(byte[] message)
    {
        if (!CanSign) throw new InvalidOperationException($"Key {KeyId} is a public key: it checks signatures but cannot sign.");
        return _secret is { } secret ? HMACSHA256.HashData(secret, message) : _ecdsa!.SignData(message, HashAlgorithmName.SHA256);
    }

    internal bool Verify(byte[] message, byte[] signature) =>
        _secret is { } secret
            ? CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(secret, message), signature)
            : _ecdsa!.VerifyData(message, signature, HashAlgorithmName.SHA256);

    /// <summary>Releases the ECDSA key and clears the secret from memory.</summary>
    public void Dispose()
    {
        if (_secret is not null) CryptographicOperations.ZeroMemory(_secret);
        _ecdsa?.Dispose();
    }
}
