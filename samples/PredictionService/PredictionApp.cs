using System.Text;
using Microsoft.AspNetCore.Http.Features;
using MLWorkbench.Bundles;
using MLWorkbench.Serving;
using MLWorkbench.Tasks;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace MLWorkbench.Samples.PredictionService;

/// <summary>
/// The service: <c>POST /predict</c> takes a JSON object of column values (or an array of them) and answers with the
/// prediction (or an array of predictions, where a bad row is <c>{"error": "…"}</c> and the others are still predicted);
/// <c>GET /model</c> says which model serves. Every refusal is one sentence in <c>{"error": "…"}</c>: 400 for malformed
/// JSON or a bad single row, 413 for a body over the limit. Settings (appsettings.json, environment, or command line):
/// <c>Model:Path</c> (<c>--model</c>, required), <c>Model:ReloadOnChange</c> (<c>--reload</c>, default true),
/// <c>Service:MaxRequestBytes</c> (<c>--max-request-bytes</c>, default 4 MiB) and the usual <c>--urls</c>.
/// </summary>
public static class PredictionApp
{
    /// <summary>The name the model is served under in the pool.</summary>
    public const string ModelName = "default";

    /// <summary>The request body limit unless configured: 4 MiB.</summary>
    public const long DefaultMaxRequestBytes = 4 << 20;

    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--model"] = "Model:Path",
        ["--reload"] = "Model:ReloadOnChange",
        ["--max-request-bytes"] = "Service:MaxRequestBytes",
    };

    /// <summary>Configures the app from <paramref name="args"/> and loads the model (so a bad model file fails here, not at the first request).</summary>
    /// <exception cref="PredictionServiceConfigurationException">A setting is missing or invalid.</exception>
    /// <exception cref="WorkbenchInputException">The model file is missing or damaged.</exception>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, Switches);
        var path = builder.Configuration["Model:Path"];
        if (string.IsNullOrWhiteSpace(path))
            throw new PredictionServiceConfigurationException("No model is configured: pass --model path/to/model.mlwb (or set Model:Path).");
        var reload = Setting(builder.Configuration, "Model:ReloadOnChange", true, bool.TryParse);
        var maxBytes = Setting(builder.Configuration, "Service:MaxRequestBytes", DefaultMaxRequestBytes, long.TryParse);
        if (maxBytes < 1) throw new PredictionServiceConfigurationException($"Service:MaxRequestBytes must be positive, not {maxBytes}.");

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBytes);
        builder.Services.AddWorkbenchModel(ModelName, Path.GetFullPath(path, Environment.CurrentDirectory), reloadOnChange: reload);

        var app = builder.Build();
        try
        {
            _ = app.Services.GetRequiredService<WorkbenchModelPool>(); // load now: fail at startup, not at the first request
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MLWorkbench.Samples.PredictionService");
        app.MapPost("/predict", (HttpContext context, WorkbenchModelPool pool) => PredictAsync(context, pool, maxBytes, log));
        app.MapGet("/model", (WorkbenchModelPool pool) => HttpResults.Json(Describe(pool.GetStatus(ModelName))));
        return app;
    }

    private delegate bool TryParse<T>(string? text, out T value);

    private static T Setting<T>(IConfiguration configuration, string key, T fallback, TryParse<T> parse)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return parse(text, out var value) ? value
            : throw new PredictionServiceConfigurationException($"Setting {key} is '{text}', which is not a valid {typeof(T).Name.ToLowerInvariant()}.");
    }

    private static async Task<IResult> PredictAsync(HttpContext context, WorkbenchModelPool pool, long maxBytes, ILogger log)
    {
        // Kestrel refuses bodies over twice the limit; between the limit and that, the rest of the body is read and
        // dropped, so the client (still sending) reads a clean 413 instead of a reset connection.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = 2 * maxBytes;
        if (context.Request.ContentLength > maxBytes) return TooLarge(maxBytes);
        var body = await ReadBodyAsync(context.Request.Body, maxBytes, context.RequestAborted);
        if (body is null) return TooLarge(maxBytes);
        string json;
        try
        {
            json = Utf8.GetString(body.GetBuffer(), 0, (int)body.Length);
        }
        catch (DecoderFallbackException)
        {
            return Error(StatusCodes.Status400BadRequest, "The request body is not UTF-8 text; send JSON in UTF-8.");
        }
        if (string.IsNullOrWhiteSpace(json))
            return Error(StatusCodes.Status400BadRequest, "The request body is empty; send a JSON object of column values, or an array of them.");
        try
        {
            return HttpResults.Content(pool.PredictJson(ModelName, json), "application/json", Encoding.UTF8);
        }
        catch (WorkbenchInputException e)
        {
            return Error(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // A failure of the model itself: answer this request, keep serving the next ones.
            log.LogError(e, "Prediction failed.");
            return Error(StatusCodes.Status500InternalServerError, $"The model failed on this request ({e.GetType().Name}); the service logged the details.");
        }
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The body, or null when it is longer than <paramref name="maxBytes"/> (the rest is then drained, as far as Kestrel allows).</summary>
    private static async Task<MemoryStream?> ReadBodyAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    while (await body.ReadAsync(chunk, cancellationToken) > 0) { }
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
            return buffer;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }

    private static IResult TooLarge(long maxBytes) =>
        Error(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the limit of {maxBytes:N0} bytes; send fewer rows per request.");

    private static IResult Error(int status, string message) => HttpResults.Json(new { error = message }, statusCode: status);

    private static object Describe(ServedModelStatus status) => new
    {
        name = status.Name,
        version = status.Version,
        loadedUtc = status.LoadedUtc,
        trainer = status.Manifest.Trainer,
        task = status.Manifest.Task,
        label = status.Manifest.Label,
        classNames = status.Manifest.ClassNames,
        inputs = status.Manifest.Inputs.Where(i => i.Required).Select(i => new { name = i.Name, kind = i.Kind.ToString(), allowsMissing = i.AllowsMissing }),
        lastError = status.LastError,
    };
}

/// <summary>A setting of the service is missing or invalid; the message is one sentence.</summary>
public sealed class PredictionServiceConfigurationException(string message) : Exception(message);
