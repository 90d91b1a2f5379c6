namespace MLWorkbench.Cli;

/// <summary>The exit codes of <c>mlwb</c>, as documented in the README.</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Success = 0;
    /// <summary>The run failed for a reason other than the input (e.g. the report renderer failed).</summary>
    public const int Failure = 1;
    /// <summary>Bad input: a missing file, a malformed suite, an unknown option, a missing column.</summary>
    public const int BadInput = 2;
    /// <summary>Interrupted by Ctrl+C; what was finished is written.</summary>
    public const int Interrupted = 130;
}
