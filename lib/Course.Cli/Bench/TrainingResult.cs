namespace Course.Cli.Bench;

/// <summary>
/// What one training variant measured: step times are medians over the timed steps; faults, kernel share, CPU time and
/// tensor counts are averages over them. CPU seconds per step (all threads, user + kernel) are less sensitive than wall time to other
/// processes competing for the cores.
/// </summary>
public sealed record TrainingResult(
    TrainingVariant Variant,
    BenchShape Shape,
    long Parameters,
    int TimedSteps,
    double MedianStepSeconds,
    double ForwardSeconds,
    double BackwardSeconds,
    double OptimizerSeconds,
    double? MinorFaultsPerStep,
    double? SystemShare,
    double? CpuSecondsPerStep,
    double LiveTensorsPerStep,
    double TensorsCreatedPerStep)
{
    public double TokensPerSecond => Shape.TokensPerStep / MedianStepSeconds;

    /// <summary>Model FLOP utilisation: 6·N FLOPs per token (forward + backward) over a ceiling in GFLOP/s.</summary>
    public double Mfu(double ceilingGflops) => 6.0 * Parameters * TokensPerSecond / (ceilingGflops * 1e9);
}
