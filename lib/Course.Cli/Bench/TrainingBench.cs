using System.Diagnostics;
using LlmFromScratch.Model;
using LlmFromScratch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Cli.Bench;

/// <summary>
/// Times the trainer's step (zero gradients, loss, backward, AdamW) on random token ids for one shape and one
/// <see cref="TrainingVariant"/>: a few warm-up steps, then the median of the timed ones, split into forward (with the
/// loss), backward and optimizer, with page faults and kernel time per step.
/// </summary>
public static class TrainingBench
{
    private const int DistinctBatches = 4;

    public static TrainingResult Run(BenchShape shape, TrainingVariant variant, Device device, int warmup, int steps)
    {
        manual_seed(123);
        var config = shape.Config with { UseSdpa = variant.UseSdpa };
        using var model = new GptModel(config);
        model.to(device);
        model.ComputeDtype = variant.ComputeDtype;
        model.train();
        var parameters = model.parameters().Sum(p => p.numel());
        using var optimizer = MakeOptimizer(variant.Optimizer, model);
        var batches = Enumerable.Range(0, DistinctBatches).Select(_ =>
        {
            var ids = randint(0, config.VocabSize, [shape.Batch, config.ContextLength + 1], device: device).DetachFromDisposeScope();
            return (Inputs: ids[.., ..^1].DetachFromDisposeScope(), Targets: ids[.., 1..].DetachFromDisposeScope(), All: ids);
        }).ToList();

        var stepTimes = new List<double>();
        var forward = new List<double>();
        var backward = new List<double>();
        var optimizerTimes = new List<double>();
        var losses = new List<double>();
        ResourceUsage? usageBefore = null;
        long liveBefore = 0, createdBefore = 0;
        try
        {
            for (var i = 0; i < warmup + steps; i++)
            {
                if (i == warmup)
                {
                    usageBefore = ResourceUsage.Now();
                    liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                    createdBefore = Created();
                }
                var (inputs, targets, _) = batches[i % batches.Count];
                var times = variant.DisposeScopes
                    ? ScopedStep(model, optimizer, inputs, targets, device, losses)
                    : PlainStep(model, optimizer, inputs, targets, device, losses);
                if (i < warmup) continue;
                forward.Add(times.Forward);
                backward.Add(times.Backward);
                optimizerTimes.Add(times.Optimizer);
                stepTimes.Add(times.Forward + times.Backward + times.Optimizer);
            }
            var usage = ResourceUsage.Now() - usageBefore;
            var liveGrowth = DisposeScopeManager.Statistics.ThreadTotalLiveCount - liveBefore;
            var created = Created() - createdBefore;
            return new TrainingResult(variant, shape, parameters, steps, Median(stepTimes), Median(forward), Median(backward),
                Median(optimizerTimes), usage?.MinorFaults / (double)steps, usage?.SystemShare,
                usage is { } u ? (u.UserSeconds + u.SystemSeconds) / steps : null, liveGrowth / (double)steps, created / (double)steps,
                losses[0], losses[^1]);
        }
        finally
        {
            foreach (var (inputs, targets, all) in batches) { inputs.Dispose(); targets.Dispose(); all.Dispose(); }
            // The scope-less baseline leaves its temporaries to finalizers; collect them before the next measurement.
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>The optimizer a variant names, with the book's chapter-5 settings (lr 4e-4, weight decay 0.1).</summary>
    public static OptimizerHelper MakeOptimizer(string name, GptModel model) => name switch
    {
        "AdamW" => optim.AdamW(model.parameters(), lr: 4e-4, weight_decay: 0.1),
        "InPlaceAdamW" => new InPlaceAdamW(model.parameters(), lr: 4e-4, weight_decay: 0.1),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "AdamW or InPlaceAdamW"),
    };

    /// <summary>Tensor handles created on this thread so far (TorchSharp's own count).</summary>
    private static long Created() =>
        DisposeScopeManager.Statistics.CreatedInScopeCount + DisposeScopeManager.Statistics.CreatedOutsideScopeCount;

    private readonly record struct StepTimes(double Forward, double Backward, double Optimizer);

    /// <summary>The trainer's step: one dispose scope, the course's loss.</summary>
    private static StepTimes ScopedStep(GptModel model, OptimizerHelper optimizer, Tensor inputs, Tensor targets, Device device, List<double> losses)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        optimizer.zero_grad();
        var loss = Losses.CalcLossBatch(inputs, targets, model, device);
        var forward = Lap(clock, device);
        loss.backward();
        var backward = Lap(clock, device);
        optimizer.step();
        var step = Lap(clock, device);
        losses.Add(loss.item<float>());
        return new StepTimes(forward, backward, step);
    }

    /// <summary>The straightforward loop: nothing disposed, every temporary left to the garbage collector.</summary>
    private static StepTimes PlainStep(GptModel model, OptimizerHelper optimizer, Tensor inputs, Tensor targets, Device device, List<double> losses)
    {
        var clock = Stopwatch.StartNew();
        optimizer.zero_grad();
        var logits = model.call(inputs);
        var loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten());
        var forward = Lap(clock, device);
        loss.backward();
        var backward = Lap(clock, device);
        optimizer.step();
        var step = Lap(clock, device);
        losses.Add(loss.item<float>());
        return new StepTimes(forward, backward, step);
    }

    private static double Lap(Stopwatch clock, Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        var seconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return seconds;
    }

    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
