using MLWorkbench.Experiments;
using MLWorkbench.Models.Torch;
using MLWorkbench.Models;
using MLWorkbench.Tasks;

namespace MLWorkbench.Cli.Suites;

/// <summary>A parsed, checked suite file: what to run and where to write it.</summary>
internal sealed record Suite(
    string Name,
    string Path,
    string Sha256,
    int Seed,
    ComputeDevice Device,
    TrainingPrecision Precision,
    string OutputDirectory,
    IReadOnlyList<ExperimentSpec> Experiments);
