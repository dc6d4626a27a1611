using System.Diagnostics;
using System.Text.Json.Nodes;
using Course.Cli.Bench;
using LlmFromScratch.Model;
using LlmFromScratch.Runtime;
using TorchSharp;
using static Course.Cli.Bench.BenchReport;
using static TorchSharp.torch;

namespace Course.Cli.Commands;

/// <summary>
/// `course bench [--quick] [--json FILE]`: the performance figures of COURSE.md §5 in one run on one machine, so every
/// figure can be read as a ratio to another measured alongside it: matmul ceilings, training throughput and model FLOP
/// utilisation (fp32, bf16, a straightforward baseline and ablations), KV-cache generation, memory over many steps,
/// and the same training step under other memory allocators (child processes).
/// </summary>
public static class BenchCommand
{
    public static int Run(Args args)
    {
        var quick = args.Flag("--quick");
        var jsonPath = args.Option("--json");
        var probePath = args.Option("--probe");   // internal: one fp32 training measurement for AllocatorProbe
        args.Rest();
        if (probePath is not null) return Probe(probePath, quick);

        var clock = Stopwatch.StartNew();
        var device = CourseEnvironment.Device;
        var report = new BenchReport();
        var plan = quick ? Plan.Quick : Plan.Full;
        Console.Error.WriteLine($"course bench{(quick ? " --quick" : "")}: measuring on {DeviceName(device)} (progress below, table at the end)");

        Machine(report, device, quick);
        var (fp32Ceiling, _) = Ceilings(report, device, plan);
        Training(report, device, plan, plan.Large, "", fp32Ceiling, ablations: !quick);
        Training(report, device, plan, plan.Small, "small_", fp32Ceiling, ablations: false);
        Generation(report, device, plan);
        Memory(report, device, plan);
        Environments(report, plan, quick);

        report.Section("Run");
        report.Row("wall time", $"{F(clock.Elapsed.TotalSeconds, 0)} s", $"load average at the end: {LoadAverage()}");
        report.Set("bench_seconds", clock.Elapsed.TotalSeconds);

        Console.WriteLine(report.Table());
        if (jsonPath is not null)
        {
            File.WriteAllText(jsonPath, report.Json());
            Console.WriteLine($"JSON written to {Path.GetFullPath(jsonPath)}");
        }
        return 0;
    }

    /// <summary>What a run measures: full (the book's shapes) or quick (small shapes, few steps, for CI).</summary>
    private sealed record Plan(BenchShape Large, BenchShape Small, int CeilingSize, int LargeWarmup, int LargeSteps,
        int AblationWarmup, int AblationSteps, int SmallWarmup, int SmallSteps, int ProbeSteps, GptConfig GenerationConfig,
        int NewTokens, BenchShape MemoryShape, int MemorySteps, int ProbeTimeoutSeconds)
    {
        public static Plan Full { get; } = new(BenchShape.Gpt124M, BenchShape.Small, 2048, LargeWarmup: 2, LargeSteps: 4,
            AblationWarmup: 1, AblationSteps: 3, SmallWarmup: 3, SmallSteps: 10, ProbeSteps: 3, GptConfig.Gpt124M, 256,
            BenchShape.Small, 200, 900);

        public static Plan Quick { get; } = new(BenchShape.QuickLarge, BenchShape.QuickSmall, 1024, LargeWarmup: 1, LargeSteps: 3,
            AblationWarmup: 0, AblationSteps: 0, SmallWarmup: 1, SmallSteps: 3, ProbeSteps: 3, BenchShape.QuickLarge.Config, 32,
            BenchShape.QuickSmall, 200, 180);
    }

    private static void Machine(BenchReport report, Device device, bool quick)
    {
        report.Section("Machine");
        var cpu = CpuModel();
        report.Row("date", DateTime.Now.ToString("yyyy-MM-dd HH:mm"), quick ? "--quick: small shapes, few steps" : "full run");
        report.Row("device", DeviceName(device), device.type == DeviceType.CPU ? $"{cpu}, {Environment.ProcessorCount} logical CPUs" : "");
        report.Row("threads", $"{get_num_threads()} intra-op, {get_num_interop_threads()} inter-op",
            Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is { } omp ? $"OMP_NUM_THREADS={omp}" : "libtorch default (one per core)");
        report.Row("versions", $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}, libtorch {__version__}", $".NET {Environment.Version}");
        report.Row("allocator", EnvironmentProbe.CurrentAllocator(), $"tuning variables: {EnvironmentProbe.CurrentSettings()}");
        report.Row("load average", LoadAverage(), "at the start; above the core count, other processes compete for the CPUs");
        report.SetText("device", DeviceName(device));
        report.SetText("cpu", cpu);
        report.Set("threads", get_num_threads());
        report.SetText("torchsharp_version", typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "");
        report.SetText("libtorch_version", __version__);
        report.SetText("allocator", EnvironmentProbe.CurrentAllocator());
        report.SetText("tuning", EnvironmentProbe.CurrentSettings());
        report.SetText("mode", quick ? "quick" : "full");
    }

    private static (double? Fp32, double? Bf16) Ceilings(BenchReport report, Device device, Plan plan)
    {
        report.Section($"Matmul ceilings ({plan.CeilingSize}×{plan.CeilingSize} square products)");
        var (fp32, fp32Error) = Try(() => MatmulCeiling.GigaFlops(ScalarType.Float32, plan.CeilingSize, device));
        var (bf16, bf16Error) = Try(() => MatmulCeiling.GigaFlops(ScalarType.BFloat16, plan.CeilingSize, device));
        report.Row("fp32", fp32 is { } a ? $"{F(a)} GFLOP/s" : "n/a", fp32Error ?? "");
        report.Row("bf16", bf16 is { } b ? $"{F(b)} GFLOP/s" : "n/a", bf16Error ?? (fp32 is { } c && bf16 is { } d ? $"{F(d / c, 2)}× fp32" : ""));
        report.Set("fp32_gflops", fp32, fp32Error);
        report.Set("bf16_gflops", bf16, bf16Error);
        return (fp32, bf16);
    }

    private static void Training(BenchReport report, Device device, Plan plan, BenchShape shape, string prefix,
        double? fp32Ceiling, bool ablations)
    {
        var large = prefix.Length == 0;
        var (warmup, steps) = large ? (plan.LargeWarmup, plan.LargeSteps) : (plan.SmallWarmup, plan.SmallSteps);
        report.Section($"Training, {shape.Describe()}; variants interleaved step by step, median of {steps} steps after {warmup} warm-up");
        var details = new JsonArray();
        Console.Error.WriteLine($"training {shape.Name}: baseline, fp32 and bf16, interleaved …");
        var (group, error) = Try(() => TrainingBench.Run(shape, [TrainingVariant.Baseline, TrainingVariant.Fp32, TrainingVariant.Bf16], device, warmup, steps));
        var byKey = group?.Results.ToDictionary(r => r.Variant.Key) ?? [];
        var baseline = byKey.GetValueOrDefault(TrainingVariant.Baseline.Key);
        var fp32 = byKey.GetValueOrDefault(TrainingVariant.Fp32.Key);
        var bf16 = byKey.GetValueOrDefault(TrainingVariant.Bf16.Key);
        if (group is null) report.Row("training", "n/a", error ?? "");
        foreach (var r in group?.Results ?? [])
        {
            var ratio = baseline is null || ReferenceEquals(r, baseline) ? "" : $"{F(r.TokensPerSecond / baseline.TokensPerSecond, 2)}× baseline, ";
            Row(report, r, ratio, fp32Ceiling);
            details.Add(Detail(r, fp32Ceiling));
        }
        if (fp32 is not null && bf16 is not null)
            report.Row("bf16 vs fp32", $"{F(bf16.TokensPerSecond / fp32.TokensPerSecond, 2)}×",
                group!.Bf16LossGap is { } gap ? $"loss on the same weights and batch differs by {F(gap, 4)} (eval mode)" : "");
        if (ablations && fp32 is not null)
            foreach (var ablation in new[] { TrainingVariant.Fp32ExplicitAttention, TrainingVariant.Fp32StockAdamW, TrainingVariant.Fp32NoScopes })
            {
                Console.Error.WriteLine($"training {shape.Name}: fp32 against {ablation.Label.Trim()}, interleaved …");
                var (pair, pairError) = Try(() => TrainingBench.Run(shape, [TrainingVariant.Fp32, ablation], device, plan.AblationWarmup, plan.AblationSteps));
                if (pair is null) { report.Row(ablation.Label, "n/a", pairError ?? ""); continue; }
                var (reference, changed) = (pair.Results[0], pair.Results[1]);
                Row(report, changed, $"{F(changed.TokensPerSecond / reference.TokensPerSecond, 2)}× fp32 of its own pair ({F(reference.TokensPerSecond)} tok/s), ", fp32Ceiling);
                details.Add(Detail(changed, fp32Ceiling));
                report.Set($"{prefix}{ablation.Key}_vs_fp32", changed.TokensPerSecond / reference.TokensPerSecond);
            }
        report.Detail(large ? "training" : "training_small", details);
        if (group is not null)
            report.Row("parameters N (for 6·N FLOPs/token)", $"{group.Results[0].Parameters:N0}", "all parameters, embeddings and untied head included");

        var reason = error ?? "not measured";
        report.Set($"{prefix}train_fp32_tokens_per_s", fp32?.TokensPerSecond, reason);
        report.Set($"{prefix}train_bf16_tokens_per_s", bf16?.TokensPerSecond, reason);
        report.Set($"{prefix}baseline_tokens_per_s", baseline?.TokensPerSecond, reason);
        report.Set($"{prefix}mfu_fp32", fp32 is not null && fp32Ceiling is { } c1 ? fp32.Mfu(c1) : null, error ?? "needs the fp32 ceiling");
        report.Set($"{prefix}mfu_bf16", bf16 is not null && fp32Ceiling is { } c2 ? bf16.Mfu(c2) : null, error ?? "needs the fp32 ceiling");
        report.Set($"{prefix}bf16_speedup", bf16 is not null && fp32 is not null ? bf16.TokensPerSecond / fp32.TokensPerSecond : null, reason);
        report.Set($"{prefix}fp32_vs_baseline", fp32 is not null && baseline is not null ? fp32.TokensPerSecond / baseline.TokensPerSecond : null, reason);
        report.Set($"{prefix}bf16_loss_gap", group?.Bf16LossGap, reason);
        report.Set($"{prefix}faults_per_step_fp32", fp32?.MinorFaultsPerStep, error ?? "getrusage is not available here");
        report.Set($"{prefix}faults_per_step_baseline", baseline?.MinorFaultsPerStep, error ?? "getrusage is not available here");
    }

    private static void Row(BenchReport report, TrainingResult r, string ratio, double? fp32Ceiling)
    {
        var mfu = fp32Ceiling is { } ceiling ? $"MFU {F(100 * r.Mfu(ceiling))} %, " : "";
        report.Row(r.Variant.Label, $"{F(r.TokensPerSecond)} tok/s",
            $"{ratio}{mfu}step {F(r.MedianStepSeconds * 1000, 0)} ms = fwd {F(r.ForwardSeconds * 1000, 0)} + bwd " +
            $"{F(r.BackwardSeconds * 1000, 0)} + opt {F(r.OptimizerSeconds * 1000, 0)}; {Faults(r)}; " +
            $"{F(r.TensorsCreatedPerStep, 0)} tensors made, {F(r.LiveTensorsPerStep, 0)} left/step");
    }

    private static string Faults(TrainingResult r) => r.MinorFaultsPerStep is { } f
        ? $"{F(f / 1000, 1)}k faults/step, CPU {F(r.CpuSecondsPerStep ?? 0, 2)} s/step, {F(100 * (r.SystemShare ?? 0), 0)} % kernel"
        : "faults n/a";

    private static JsonObject Detail(TrainingResult r, double? fp32Ceiling) => new()
    {
        ["variant"] = r.Variant.Key,
        ["shape"] = r.Shape.Describe(),
        ["parameters"] = r.Parameters,
        ["tokens_per_s"] = r.TokensPerSecond,
        ["mfu_vs_fp32_ceiling"] = fp32Ceiling is { } c ? r.Mfu(c) : null,
        ["step_ms"] = r.MedianStepSeconds * 1000,
        ["forward_ms"] = r.ForwardSeconds * 1000,
        ["backward_ms"] = r.BackwardSeconds * 1000,
        ["optimizer_ms"] = r.OptimizerSeconds * 1000,
        ["minor_faults_per_step"] = r.MinorFaultsPerStep,
        ["system_share"] = r.SystemShare,
        ["cpu_seconds_per_step"] = r.CpuSecondsPerStep,
        ["live_tensors_per_step"] = r.LiveTensorsPerStep,
        ["tensors_created_per_step"] = r.TensorsCreatedPerStep,
    };

    private static void Generation(BenchReport report, Device device, Plan plan)
    {
        var config = plan.GenerationConfig;
        report.Section($"Generation, greedy, {plan.NewTokens} new tokens after a 4-token prompt ({config.NLayers} layers × {config.EmbDim}, context {config.ContextLength})");
        Console.Error.WriteLine("generation with and without the KV cache …");
        var (result, error) = Try(() => GenerationBench.Run(config, plan.NewTokens, device));
        if (result is null) report.Row("generation", "n/a", error ?? "");
        else
        {
            report.Row("with KV cache", $"{F(result.CachedTokensPerSecond)} tok/s",
                $"{F(result.CachedTokensPerSecond / result.UncachedTokensPerSecond, 1)}× uncached; same tokens: {(result.SameTokens ? "yes" : "NO")}");
            report.Row("without KV cache", $"{F(result.UncachedTokensPerSecond)} tok/s", "re-runs the whole sequence for every token");
        }
        report.Set("gen_kv_tokens_per_s", result?.CachedTokensPerSecond, error);
        report.Set("gen_nokv_tokens_per_s", result?.UncachedTokensPerSecond, error);
        report.Set("gen_kv_speedup", result is null ? null : result.CachedTokensPerSecond / result.UncachedTokensPerSecond, error);
        report.Set("gen_new_tokens", plan.NewTokens);
    }

    private static void Memory(BenchReport report, Device device, Plan plan)
    {
        var from = plan.MemorySteps / 10;
        report.Section($"Memory, {plan.MemorySteps} steps of the course's Trainer, fp32, {plan.MemoryShape.Describe()}");
        Console.Error.WriteLine($"memory over {plan.MemorySteps} training steps …");
        var (result, error) = Try(() => MemoryBench.Run(plan.MemoryShape, device, plan.MemorySteps, from));
        if (result is null) report.Row("memory", "n/a", error ?? "");
        else
        {
            report.Row($"resident memory, step {from} → {plan.MemorySteps}", $"{F(result.RssStartMb, 0)} → {F(result.RssEndMb, 0)} MB", $"growth {F(result.RssGrowthMb)} MB");
            report.Row($"live tensors, step {from} → {plan.MemorySteps}", $"{result.LiveTensorsStart} → {result.LiveTensorsEnd}", $"growth {result.LiveTensorGrowth}");
            report.Row("trainer throughput", $"{F(result.TokensPerSecond)} tok/s", "over the whole run, as TrainingProgress reports it");
        }
        report.Set("rss_growth_mb", result?.RssGrowthMb, error);
        report.Set("live_tensor_growth", result?.LiveTensorGrowth, error);
        report.Set("memory_steps", plan.MemorySteps);
    }

    private static void Environments(BenchReport report, Plan plan, bool quick)
    {
        report.Section($"Environment settings: fp32 training of the {plan.Large.Name} shape, a fresh process each (one after another, so on a busy machine trust faults and CPU time more than tok/s)");
        var results = new List<EnvironmentProbe.Result>();
        foreach (var setting in EnvironmentProbe.Settings(quick))
        {
            Console.Error.WriteLine($"{setting.Label} (child process) …");
            var result = EnvironmentProbe.Run(setting, quick, TimeSpan.FromSeconds(plan.ProbeTimeoutSeconds));
            results.Add(result);
            var reference = results[0].TokensPerSecond;
            var ratio = ReferenceEquals(result, results[0]) || reference is null || result.TokensPerSecond is null
                ? "" : $"{F(result.TokensPerSecond.Value / reference.Value, 2)}× default, ";
            report.Row(setting.Label, result.TokensPerSecond is { } t ? $"{F(t)} tok/s" : "n/a", result.Error ??
                $"{ratio}{F((result.MinorFaultsPerStep ?? 0) / 1000, 1)}k faults/step, CPU {F(result.CpuSecondsPerStep ?? 0, 2)} s/step, " +
                $"{F(100 * (result.SystemShare ?? 0), 0)} % kernel; {setting.Describe()}");
            report.Set($"env_{setting.Key}_tokens_per_s", result.TokensPerSecond, result.Error);
            report.Set($"env_{setting.Key}_faults_per_step", result.MinorFaultsPerStep, result.Error);
        }
        var glibc = results.FirstOrDefault(r => r.Setting.Key == "glibc")?.TokensPerSecond;
        var jemalloc = results.FirstOrDefault(r => r.Setting.Key == "jemalloc");
        report.Set("jemalloc_speedup", glibc is { } g && jemalloc?.TokensPerSecond is { } j ? j / g : null, jemalloc?.Error ?? "needs both the glibc and jemalloc runs");
    }

    /// <summary>Child-process mode: one fp32 training measurement of the large shape, written as JSON.</summary>
    private static int Probe(string path, bool quick)
    {
        var plan = quick ? Plan.Quick : Plan.Full;
        var result = TrainingBench.Run(plan.Large, [TrainingVariant.Fp32], CourseEnvironment.Device, plan.LargeWarmup, plan.ProbeSteps).Results[0];
        var json = new JsonObject
        {
            ["tokens_per_s"] = result.TokensPerSecond,
            ["minor_faults_per_step"] = result.MinorFaultsPerStep,
            ["system_share"] = result.SystemShare,
            ["cpu_seconds_per_step"] = result.CpuSecondsPerStep,
            ["allocator"] = EnvironmentProbe.CurrentAllocator(),
        };
        File.WriteAllText(path, json.ToJsonString());
        return 0;
    }

    private static (T? Value, string? Error) Try<T>(Func<T> measure) where T : class
    {
        try { return (measure(), null); }
        catch (Exception e) { return (null, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
    }

    private static (double? Value, string? Error) Try(Func<double> measure)
    {
        try { return (measure(), null); }
        catch (Exception e) { return (null, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
    }

    private static string DeviceName(Device device) =>
        device.type == DeviceType.CUDA ? $"CUDA ({cuda.device_count()} GPU)" : "CPU";

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException) { return "unknown CPU"; }
    }

    private static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
    }
}
