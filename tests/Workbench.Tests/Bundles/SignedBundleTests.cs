using System.Security.Cryptography;
using System.Text;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Tests.Bundles;

/// <summary>
/// Checksums catch damage; a signature catches tampering. A bundle signed with a secret (HMAC-SHA256) or an ECDSA
/// private key loads where that signature is required, and is refused when unsigned, signed with another key, or changed
/// after signing, even with its checksums fixed up.
/// </summary>
public class SignedBundleTests
{
    private static BundleLoadOptions Requiring(BundleKey key) => BundleLoadOptions.Default with { RequiredSignature = key };

    private static WorkbenchInputException LoadFails(string path, BundleKey key)
    {
        var e = Assert.Throws<WorkbenchInputException>(() => WorkbenchModel.Load(path, Requiring(key)));
        Assert.DoesNotContain("\n", e.Message);
        Assert.Contains(path, e.Message);
        return e;
    }

    private static (BundleKey Private, BundleKey Public) EcdsaPair()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (BundleKey.FromPem(ecdsa.ExportPkcs8PrivateKeyPem()), BundleKey.FromPem(ecdsa.ExportSubjectPublicKeyInfoPem()));
    }

    [Fact]
    public async Task A_bundle_signed_with_a_secret_loads_where_the_secret_is_required_and_nowhere_else()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        using var secret = BundleKey.FromSecret(RandomNumberGenerator.GetBytes(32));
        using var other = BundleKey.FromSecret(RandomNumberGenerator.GetBytes(32));

        Assert.Contains("it is not signed", LoadFails(saved.Path, secret).Message);
        await WorkbenchModel.SignAsync(saved.Path, secret);

        using (var model = WorkbenchModel.Load(saved.Path, Requiring(secret)))
            BundleFixtures.AssertSame(saved, 0, model.Predict(saved.Rows[0]), null);
        using (WorkbenchModel.Load(saved.Path)) { } // a signature does not stop an application that requires none
        Assert.Contains($"accepts only HMAC-SHA256 key {other.KeyId}", LoadFails(saved.Path, other).Message);
    }

    [Fact]
    public async Task A_bundle_changed_after_signing_is_refused_even_with_its_checksums_fixed()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var (signer, checker) = EcdsaPair();
        using (signer)
        using (checker)
        {
            await WorkbenchModel.SignAsync(saved.Path, signer);
            using (WorkbenchModel.Load(saved.Path, Requiring(checker))) { }

            var featurizer = Encoding.UTF8.GetString(BundleFixtures.Entry(saved.Path, "featurizer.json"));
            BundleFixtures.ReplaceListed(saved.Path, "featurizer.json", Encoding.UTF8.GetBytes(featurizer.Replace("\"x1\"", "\"x1\" ")));
            using (WorkbenchModel.Load(saved.Path)) { } // the checksums agree again...

            Assert.Contains($"its signature does not match key {checker.KeyId}; the bundle was changed after it was signed", LoadFails(saved.Path, checker).Message);
        }
    }

    [Fact]
    public async Task A_public_key_checks_but_cannot_sign_and_bad_key_files_are_named()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var (signer, checker) = EcdsaPair();
        signer.Dispose();
        using (checker)
        {
            Assert.False(checker.CanSign);
            var e = await Assert.ThrowsAsync<WorkbenchInputException>(() => WorkbenchModel.SignAsync(saved.Path, checker));
            Assert.Contains("is a public key: it checks signatures but cannot sign", e.Message);
        }
        var shortSecret = dir.File("short.key", "only sixteen byt");
        var bad = Assert.Throws<WorkbenchInputException>(() => BundleKey.FromFile(shortSecret));
        Assert.Equal($"Key file '{shortSecret}' is not a usable key: A bundle signing secret needs at least 32 bytes; this one has 16.", bad.Message);
        var badPem = dir.File("bad.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        Assert.Contains($"Key file '{badPem}' is not a usable key: The PEM text holds no ECDSA key", Assert.Throws<WorkbenchInputException>(() => BundleKey.FromFile(badPem)).Message);
    }

    [Fact]
    public async Task A_pool_that_requires_a_signature_keeps_serving_the_signed_version_when_an_unsigned_file_replaces_it()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var unsigned = Path.Combine(dir.Path, "unsigned.mlwb");
        File.Copy(saved.Path, unsigned);
        using var secret = BundleKey.FromSecret(RandomNumberGenerator.GetBytes(32));
        await WorkbenchModel.SignAsync(saved.Path, secret);
        using var pool = new WorkbenchModelPool(Requiring(secret));
        pool.Add("m", saved.Path);

        File.Copy(unsigned, saved.Path, overwrite: true);

        var refused = await Assert.ThrowsAsync<WorkbenchInputException>(() => pool.ReloadAsync("m"));
        Assert.Contains("it is not signed", refused.Message);
        var status = pool.GetStatus("m");
        Assert.Equal(1, status.Version);
        Assert.Contains("it is not signed", status.LastError);
        BundleFixtures.AssertSame(saved, 0, pool.Predict("m", saved.Rows[0]), null);
    }

    [Fact]
    public async Task The_command_line_signs_and_predict_requires_the_signature()
    {
        using var dir = new TempFolder();
        var saved = await BundleFixtures.RegressionAsync(dir, "sdca");
        var keyFile = Path.Combine(dir.Path, "bundle.key");
        await File.WriteAllBytesAsync(keyFile, RandomNumberGenerator.GetBytes(32));
        var input = dir.File("rows.csv", string.Join(',', saved.Data.ColumnNames) + "\n" + string.Join(',', saved.Data.Rows[0]) + "\n");

        var (code, _, error) = await MlwbCommand.RunAsync("predict", saved.Path, input, "--require-signature", keyFile);
        Assert.Equal(2, code);
        Assert.Contains("it is not signed", error);

        (code, var output, error) = await MlwbCommand.RunAsync("sign", saved.Path, "--key", keyFile);
        Assert.True(code == 0, error);
        Assert.Contains("Signed ", output);

        (code, output, error) = await MlwbCommand.RunAsync("predict", saved.Path, input, "--require-signature", keyFile);
        Assert.True(code == 0, error);
        Assert.Contains("predicted", output);
    }
}
