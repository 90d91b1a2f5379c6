namespace MLWorkbench.Hosting;

/// <summary>One model registered with <c>AddWorkbenchModel</c>, added to the pool when it is first resolved.</summary>
internal sealed record WorkbenchModelRegistration(string Name, string Path, bool ReloadOnChange, TimeSpan? ReloadDelay);
