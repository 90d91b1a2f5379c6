using System.CommandLine;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;

namespace MLWorkbench.Cli.Commands;

/// <summary>
/// <c>mlwb sign MODEL --key KEYFILE</c>: signs a saved <c>.mlwb</c> bundle (HMAC-SHA256 with a secret file of at least
/// 32 bytes, or ECDSA with a PEM private key), so that <c>mlwb predict --require-signature</c>, or an application that
/// loads with <see cref="BundleLoadOptions.RequiredSignature"/>, accepts it and refuses it once changed. Exit code 2 when
/// the model or key is missing or unusable.
/// </summary>
internal static class SignCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Argument<FileInfo>("model") { Description = "The .mlwb model file to sign (rewritten in place, atomically)." };
        var key = new Option<FileInfo>("--key")
        {
            Description = "The signing key: a secret file of at least 32 bytes (HMAC-SHA256), or an ECDSA private key in PEM.",
            Required = true,
        };
        var command = new Command("sign", "Sign a saved model so that applications can require the signature.") { model, key };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var signingKey = BundleKey.FromFile(parse.GetValue(key)!.FullName);
            var path = parse.GetValue(model)!.FullName;
            await WorkbenchModel.SignAsync(path, signingKey, cancellationToken);
            await output.WriteLineAsync($"Signed {path} with {signingKey.Algorithm} key {signingKey.KeyId}.");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The <c>--require-signature KEYFILE</c> option that <c>predict</c> and <c>export</c> share.</summary>
    public static Option<FileInfo?> RequireSignatureOption() => new("--require-signature")
    {
        Description = "Load the model only if it is signed with this key (the secret file, or the ECDSA public key in PEM).",
    };

    /// <summary>Loads a bundle, requiring a signature when <paramref name="keyFile"/> is given.</summary>
    public static async Task<WorkbenchModel> LoadAsync(string path, FileInfo? keyFile, CancellationToken cancellationToken)
    {
        if (keyFile is null) return await WorkbenchModel.LoadAsync(path, cancellationToken);
        using var key = BundleKey.FromFile(keyFile.FullName);
        return await WorkbenchModel.LoadAsync(path, BundleLoadOptions.Default with { RequiredSignature = key }, cancellationToken);
    }
}
