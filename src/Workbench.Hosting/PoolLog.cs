using Microsoft.Extensions.Logging;

namespace MLWorkbench.Hosting;

/// <summary>The pool's log messages (source-generated, so a disabled level costs nothing).</summary>
internal static partial class PoolLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Model '{Name}' loaded from {Path}: {Trainer} {Task}, reload on change: {Reload}.")]
    public static partial void Loaded(ILogger logger, string name, string path, string trainer, string task, bool reload);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Model '{Name}' reloaded from {Path}; version {Version} now serves.")]
    public static partial void Reloaded(ILogger logger, string name, string path, int version);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Model '{Name}' was not reloaded from {Path}: {Error} Version {Version} keeps serving.")]
    public static partial void ReloadRefused(ILogger logger, string name, string path, string error, int version);
}
