using MLWorkbench.Cli;

// Ctrl+C once: finish the current step and write what is done. Twice: stop at once.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (cancellation.IsCancellationRequested) return;
    e.Cancel = true;
    cancellation.Cancel();
};
return await Cli.RunAsync(args, Console.Out, Console.Error, cancellation.Token);
