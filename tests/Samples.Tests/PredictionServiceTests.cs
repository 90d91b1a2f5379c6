using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using MLWorkbench.Bundles;
using MLWorkbench.Samples.PredictionService;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;

namespace MLWorkbench.Samples.Tests;

/// <summary>The sample service on a real Kestrel socket (127.0.0.1, a free port), hosted in the test process.</summary>
public class PredictionServiceTests
{
    private const long MaxRequestBytes = 1_200_000;

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string body)
    {
        using var response = await client.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await ReadAsync(response));
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static string Error(JsonElement body) => body.GetProperty("error").GetString()!;

    [Fact]
    public async Task Predicts_good_rows_refuses_bad_ones_with_one_sentence_and_keeps_serving()
    {
        using var dir = new TempFolder();
        var csv = TinyModels.Csv(dir.Path);
        var modelPath = await TinyModels.TrainAsync(csv, "sdca", Path.Combine(dir.Path, "model.mlwb"));
        var nextModel = await TinyModels.TrainAsync(csv, "lightgbm", Path.Combine(dir.Path, "next.mlwb"));
        float Expected(string path, string x1)
        {
            using var model = WorkbenchModel.Load(path);
            return model.Predict(new Dictionary<string, string?> { ["x1"] = x1, ["x2"] = "0.5", ["colour"] = "red" }).Value!.Value;
        }

        await using var app = PredictionApp.Build(
            ["--model", modelPath, "--urls", "http://127.0.0.1:0", "--max-request-bytes", MaxRequestBytes.ToString(), "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Assert.StartsWith("http://127.0.0.1:", address);
        using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(20) };

        // One good row.
        var (status, body) = await PostAsync(client, """{"x1": 0.25, "x2": 0.5, "colour": "red"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Expected(modelPath, "0.25"), body.GetProperty("value").GetSingle(), 1e-6);

        // A batch: each bad row gets its own error, the others are predicted.
        var huge = new string('7', WorkbenchModel.MaxFieldLength + 1);
        (status, body) = await PostAsync(client, $$"""
            [{"x1": 0.25, "x2": 0.5, "colour": "red"},
             {"x1": 0.25, "colour": "red"},
             {"x1": "abc", "x2": 0.5, "colour": "red"},
             {"x1": "NaN", "x2": 0.5, "colour": "red"},
             {"x1": "", "x2": 0.5, "colour": "red"},
             {"x1": 0.25, "x2": 0.5, "colour": "ultraviolet"},
             {"x1": "{{huge}}", "x2": 0.5, "colour": "red"},
             {"x1": true, "x2": 0.5, "colour": "red"},
             17]
            """);
        Assert.Equal(HttpStatusCode.OK, status);
        var rows = body.EnumerateArray().ToArray();
        Assert.Equal(9, rows.Length);
        Assert.Equal(Expected(modelPath, "0.25"), rows[0].GetProperty("value").GetSingle(), 1e-6);
        Assert.Equal("Input column 'x2' is missing; the model needs x1, x2, colour.", Error(rows[1]));
        Assert.Equal("Column 'x1' needs a finite number, not 'abc'.", Error(rows[2]));
        Assert.Equal("Column 'x1' is missing ('NaN'); the model saw no missing numbers there in training, so give one.", Error(rows[3]));
        Assert.Equal("Column 'x1' is missing (''); the model saw no missing numbers there in training, so give one.", Error(rows[4]));
        Assert.True(rows[5].TryGetProperty("value", out _)); // an unseen category is encoded like a missing one
        Assert.Equal("Column 'x1' holds 1,048,577 characters; the limit is 1,048,576 (1 MiB).", Error(rows[6]));
        Assert.Equal("Column 'x1' needs a finite number, not 'true'.", Error(rows[7]));
        Assert.Equal("The row is not a JSON object of column values.", Error(rows[8]));

        // Refused requests: 400 or 413 with one sentence.
        (status, body) = await PostAsync(client, """{"x1": 0.25, "colour": "red"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "Input column 'x2' is missing; the model needs x1, x2, colour."), (status, Error(body)));
        (status, body) = await PostAsync(client, """{"x1": [1, 2], "x2": 0.5, "colour": "red"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "Column 'x1' holds a JSON array; give a number, a string, a boolean or null."), (status, Error(body)));
        (status, body) = await PostAsync(client, """{"x1": 0.25, "x2": """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("The input is not valid JSON (line 1, position", Error(body));
        (status, body) = await PostAsync(client, """{"x1": NaN, "x2": 0.5, "colour": "red"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("The input is not valid JSON", Error(body));
        (status, body) = await PostAsync(client, "");
        Assert.Equal((HttpStatusCode.BadRequest, "The request body is empty; send a JSON object of column values, or an array of them."), (status, Error(body)));
        (status, body) = await PostAsync(client, "\"just text\"");
        Assert.Equal((HttpStatusCode.BadRequest, "The input JSON must be an object of column values (or an array of them), not string."), (status, Error(body)));

        // Just over the limit: small enough that the client has sent it all before the server answers and closes.
        var tooLarge = $$"""[{"x1": "{{new string('1', (int)MaxRequestBytes)}}"}]""";
        (status, body) = await PostAsync(client, tooLarge);
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, $"The request body is larger than the limit of {MaxRequestBytes:N0} bytes; send fewer rows per request."), (status, Error(body)));
        using (var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(tooLarge))))
        {
            // No Content-Length: the limit is hit while reading.
            using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = chunked };
            request.Headers.TransferEncodingChunked = true;
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }

        // Still serving, and a replaced model file is picked up.
        using (var info = await client.GetAsync("/model"))
        {
            var model = await ReadAsync(info);
            Assert.Equal((1, "sdca", "regression"), (model.GetProperty("version").GetInt32(), model.GetProperty("trainer").GetString(), model.GetProperty("task").GetString()));
        }
        File.Copy(nextModel, modelPath + ".incoming");
        File.Move(modelPath + ".incoming", modelPath, overwrite: true);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var info = await client.GetAsync("/model");
            if ((await ReadAsync(info)).GetProperty("version").GetInt32() == 2) break;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "The replaced model file was not picked up.");
            await Task.Delay(50);
        }
        (status, body) = await PostAsync(client, """{"x1": 0.25, "x2": 0.5, "colour": "red"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Expected(nextModel, "0.25"), body.GetProperty("value").GetSingle(), 1e-6);
        await app.StopAsync();
    }

    [Fact]
    public void A_missing_setting_or_model_stops_startup_with_one_sentence()
    {
        var e = Assert.Throws<PredictionServiceConfigurationException>(() => PredictionApp.Build(["--urls", "http://127.0.0.1:0"]));
        Assert.Equal("No model is configured: pass --model path/to/model.mlwb (or set Model:Path).", e.Message);
        var missing = Path.Combine(Path.GetTempPath(), "mlwb-no-such-model.mlwb");
        var load = Assert.Throws<WorkbenchInputException>(() => PredictionApp.Build(["--model", missing, "--urls", "http://127.0.0.1:0"]));
        Assert.Equal($"Model file '{missing}' does not exist.", load.Message);
        var bad = Assert.Throws<PredictionServiceConfigurationException>(() => PredictionApp.Build(["--model", missing, "--reload", "sometimes"]));
        Assert.Equal("Setting Model:ReloadOnChange is 'sometimes', which is not a valid boolean.", bad.Message);
    }
}
