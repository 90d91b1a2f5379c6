using MLWorkbench;
using MLWorkbench.Samples.PredictionService;
using MLWorkbench.Tasks;

// dotnet run --project samples/PredictionService -- --model path/to/model.mlwb [--urls http://127.0.0.1:5080]
try
{
    var app = PredictionApp.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is WorkbenchInputException or PredictionServiceConfigurationException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
