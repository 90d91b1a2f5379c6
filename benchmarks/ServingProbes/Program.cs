using MLWorkbench.Benchmarks.Serving;

// dotnet run -c Release --project benchmarks/ServingProbes -- batch-path          engine vs data view per row, encoded rows
// dotnet run -c Release --project benchmarks/ServingProbes -- bundle-load [rounds] what the untrusted-bundle checks cost per read
switch (args.FirstOrDefault())
{
    case "batch-path":
        BatchPathProbe.Run();
        return 0;
    case "bundle-load":
        BundleLoadProbe.Run(args.Skip(1).ToArray());
        return 0;
    default:
        Console.Error.WriteLine("Usage: batch-path | bundle-load [rounds] (see benchmarks/ServingProbes/Program.cs).");
        return 2;
}
