using System.Diagnostics;
using LlmFromScratch.Model;
using LlmFromScratch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Course.Cli.Bench;

/// <summary>
/// Times the trainer's step (clear gradients, loss, backward, AdamW) on random token ids for one shape and several
/// <see cref="TrainingVariant"/>s. The variants run interleaved, one step each per round in a rotating order, so a busy
/// machine slows them all alike and their ratios hold even when the absolute figures do not. Each result is the median
/// of the timed steps, split into forward (with the loss), backward and optimizer, with page faults, CPU time and the
/// tensors each step makes.
/// </summary>
/// <remarks>
/// To fit in memory, variants share what does not change the cost being measured: one model per attention path
/// (bfloat16 is the same model with <see cref="GptModel.ComputeDtype"/> switched per step) and one optimizer per model
/// and optimizer type. The weights therefore follow one mixed trajectory; losses are not compared step by step here
/// (the unit tests do that) but once, on the same weights and batch, in float32 and in bfloat16.
/// </remarks>
public static class TrainingBench
{
    private const int DistinctBatches = 4;

    public sealed record Group(IReadOnlyList<TrainingResult> Results, double? Bf16LossGap);

    public static Group Run(BenchShape shape, IReadOnlyList<TrainingVariant> variants, Device device, int warmup, int steps)
    {
        var models = new Dictionary<bool, GptModel>();
        var optimizers = new Dictionary<(bool Sdpa, string Optimizer), OptimizerHelper>();
        var batches = new List<(Tensor Inputs, Tensor Targets, Tensor All)>();
        try
        {
            foreach (var v in variants)
            {
                if (!models.ContainsKey(v.UseSdpa))
                {
                    manual_seed(123);   // the same initial weights for both attention paths
                    var model = new GptModel(shape.Config with { UseSdpa = v.UseSdpa });
                    model.to(device);
                    model.train();
                    models[v.UseSdpa] = model;
                }
                if (!optimizers.ContainsKey((v.UseSdpa, v.Optimizer)))
                    optimizers[(v.UseSdpa, v.Optimizer)] = MakeOptimizer(v.Optimizer, models[v.UseSdpa]);
            }
            for (var i = 0; i < DistinctBatches; i++)
            {
                var ids = randint(0, shape.Config.VocabSize, [shape.Batch, shape.Context + 1], device: device).DetachFromDisposeScope();
                batches.Add((ids[.., ..^1].DetachFromDisposeScope(), ids[.., 1..].DetachFromDisposeScope(), ids));
            }

            var samples = variants.ToDictionary(v => v, _ => new List<StepSample>());
            for (var round = 0; round < warmup + steps; round++)
            {
                var (inputs, targets, _) = batches[round % batches.Count];
                for (var k = 0; k < variants.Count; k++)
                {
                    var v = variants[(round + k) % variants.Count];   // rotate, so no variant always follows another
                    var model = models[v.UseSdpa];
                    model.ComputeDtype = v.ComputeDtype;
                    var sample = Step(model, optimizers[(v.UseSdpa, v.Optimizer)], inputs, targets, device, v.DisposeScopes);
                    if (round >= warmup) samples[v].Add(sample);
                    // The scope-less loop leaves its temporaries to finalizers; free them before the next variant's step
                    // (not timed), so its garbage does not tax the others.
                    if (!v.DisposeScopes) { GC.Collect(); GC.WaitForPendingFinalizers(); }
                }
            }

            var parameters = models.Values.First().parameters().Sum(p => p.numel());
            var results = variants.Select(v => Summarise(v, shape, parameters, samples[v])).ToList();
            var gap = variants.Any(v => v.ComputeDtype == ScalarType.BFloat16) && models.TryGetValue(true, out var sdpa)
                ? LossGap(sdpa, batches[0].Inputs, batches[0].Targets, device)
                : (double?)null;
            return new Group(results, gap);
        }
        finally
        {
            foreach (var (inputs, targets, all) in batches) { inputs.Dispose(); targets.Dispose(); all.Dispose(); }
            foreach (var optimizer in optimizers.Values) optimizer.Dispose();
            foreach (var model in models.Values) model.Dispose();
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

    private readonly record struct StepSample(double Forward, double Backward, double Optimizer, ResourceUsage? Usage,
        long Created, long Left)
    {
        public double Seconds => Forward + Backward + Optimizer;
    }

    private static StepSample Step(GptModel model, OptimizerHelper optimizer, Tensor inputs, Tensor targets, Device device, bool scoped)
    {
        var liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var createdBefore = Created();
        var usageBefore = ResourceUsage.Now();
        var clock = Stopwatch.StartNew();
        double forward, backward, update;
        if (scoped)
        {
            // The trainer's step: one dispose scope, gradients cleared to none, the course's loss.
            using var scope = NewDisposeScope();
            foreach (var p in model.parameters()) p.grad = null;
            var loss = Losses.CalcLossBatch(inputs, targets, model, device);
            forward = Lap(clock, device);
            loss.backward();
            backward = Lap(clock, device);
            optimizer.step();
            update = Lap(clock, device);
        }
        else
        {
            // The straightforward loop: nothing disposed, every temporary left to the garbage collector.
            optimizer.zero_grad();
            var logits = model.call(inputs);
            var loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten());
            forward = Lap(clock, device);
            loss.backward();
            backward = Lap(clock, device);
            optimizer.step();
            update = Lap(clock, device);
        }
        var usage = ResourceUsage.Now() - usageBefore;
        return new StepSample(forward, backward, update, usage, Created() - createdBefore,
            DisposeScopeManager.Statistics.ThreadTotalLiveCount - liveBefore);
    }

    private static TrainingResult Summarise(TrainingVariant v, BenchShape shape, long parameters, List<StepSample> s)
    {
        var usages = s.Where(x => x.Usage is not null).Select(x => x.Usage!.Value).ToList();
        double? Mean(Func<ResourceUsage, double> f) => usages.Count == 0 ? null : usages.Average(f);
        var cpu = Mean(u => u.UserSeconds + u.SystemSeconds);
        var sys = Mean(u => u.SystemSeconds);
        return new TrainingResult(v, shape, parameters, s.Count, Median(s.Select(x => x.Seconds).ToList()),
            Median(s.Select(x => x.Forward).ToList()), Median(s.Select(x => x.Backward).ToList()),
            Median(s.Select(x => x.Optimizer).ToList()), Mean(u => u.MinorFaults), cpu > 0 ? sys / cpu : null, cpu,
            s.Average(x => x.Left), s.Average(x => x.Created));
    }

    /// <summary>|loss in bfloat16 − loss in float32| on the same weights and batch, in eval mode (no dropout).</summary>
    private static double LossGap(GptModel model, Tensor inputs, Tensor targets, Device device)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        try
        {
            model.ComputeDtype = ScalarType.Float32;
            var fp32 = Losses.CalcLossBatch(inputs, targets, model, device).item<float>();
            model.ComputeDtype = ScalarType.BFloat16;
            var bf16 = Losses.CalcLossBatch(inputs, targets, model, device).item<float>();
            return Math.Abs(bf16 - fp32);
        }
        finally
        {
            model.ComputeDtype = ScalarType.Float32;
            model.train();
        }
    }

    /// <summary>Tensor handles created on this thread so far (TorchSharp's own count).</summary>
    private static long Created() =>
        DisposeScopeManager.Statistics.CreatedInScopeCount + DisposeScopeManager.Statistics.CreatedOutsideScopeCount;

    private static double Lap(Stopwatch clock, Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        var seconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return seconds;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
