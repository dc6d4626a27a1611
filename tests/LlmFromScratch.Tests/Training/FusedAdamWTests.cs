using LlmFromScratch.Model;
using LlmFromScratch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

public sealed class FusedAdamWTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llmfs-fused-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static GptConfig Config => GptConfig.Tiny with { VocabSize = 64, DropRate = 0.0 };

    private static List<float[]> Train(Func<IEnumerable<Parameter>, OptimizerHelper> makeOptimizer, int steps = 5)
    {
        manual_seed(11);
        using var model = new GptModel(Config);
        using var optimizer = makeOptimizer(model.parameters());
        using var ids = randint(0, Config.VocabSize, [2, 9]);
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            Losses.CalcLossBatch(ids[.., ..^1], ids[.., 1..], model, CPU).backward();
            optimizer.step();
        }
        return model.parameters().Select(p => p.detach().data<float>().ToArray()).ToList();
    }

    [Fact]
    public void Constructor_FindsLibtorchsFusedKernel()
    {
        using var p = new Parameter(ones(3));
        using var optimizer = new FusedAdamW([p]);

        optimizer.IsFused.Should().BeTrue(optimizer.NotFusedReason);
    }

    [Fact]
    public void Step_AgreesWithTorchSharpsAdamW_ToFloatPrecision()
    {
        var reference = Train(p => optim.AdamW(p, lr: 1e-2, weight_decay: 0.1));
        var fused = Train(p => new FusedAdamW(p, lr: 1e-2, weight_decay: 0.1));

        // After 5 steps of lr 1e-2 the weights have moved by up to 0.05; the two roundings differ by ~1e-7 per step.
        var largest = reference.Zip(fused, (r, f) => r.Zip(f, (a, b) => Math.Abs(a - b)).Max()).Max();
        largest.Should().BeLessThan(1e-5f);
        var moved = Train(p => new FusedAdamW(p, lr: 0.0), steps: 1);
        reference.Zip(moved, (r, m) => r.Zip(m, (a, b) => Math.Abs(a - b)).Max()).Max().Should().BeGreaterThan(1e-3f, "the test can tell updates apart");
    }

    [Fact]
    public void Step_FollowsTheLearningRateTheTrainerSets_AndCountsSteps()
    {
        using var p = new Parameter(ones(4));
        using var optimizer = new FusedAdamW([p], lr: 0.1);
        p.grad = full(4, 0.5f);
        optimizer.step();
        // Adam's first step moves every weight by lr: the bias-corrected m / √v is exactly ±1 (less ε).
        p.detach().data<float>().ToArray().Should().OnlyContain(w => Math.Abs(w - 0.9f) < 1e-6f);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = 0.0;

        using (var before = p.detach().clone())
        {
            optimizer.step();
            p.detach().equal(before).all().item<bool>().Should().BeTrue("lr 0 leaves the weights alone");
        }
        optimizer.state_dict().State.Cast<AdamW.State>().Single().step.Should().Be(2);
    }

    [Fact]
    public void Checkpoint_SavedAndLoaded_ContinuesTheSameRun()
    {
        using var corpus = new TinyCorpus();
        var path = Path.Combine(_folder, "fused.ckpt");
        List<double> Run(bool interrupt)
        {
            manual_seed(5);
            using var model = new TinyLanguageModel(dropRate: 0.0);
            using var optimizer = new FusedAdamW(model.parameters(), lr: 1e-2, weight_decay: 0.1);
            var settings = new TrainerSettings { NumEpochs = 2, EvalFreq = 100, EvalIter = 1, CheckpointPath = interrupt ? path : null };
            var trainer = new Trainer(model, optimizer, _ => corpus.InOrder(batchSize: 4), corpus.InOrder(batchSize: 4), settings);
            if (!interrupt) return trainer.Train().StepLosses.ToList();
            using var cancel = new CancellationTokenSource();
            trainer.Progress += (_, p) => { if (p.Kind == TrainingProgressKind.Step && p.GlobalStep == 3) cancel.Cancel(); };
            trainer.Train(cancel.Token);
            manual_seed(99);   // the checkpoint restores weights, moments and step counts
            using var model2 = new TinyLanguageModel(dropRate: 0.0);
            using var optimizer2 = new FusedAdamW(model2.parameters(), lr: 1e-2, weight_decay: 0.1);
            var resumed = new Trainer(model2, optimizer2, _ => corpus.InOrder(batchSize: 4), corpus.InOrder(batchSize: 4), settings with { CheckpointPath = null });
            resumed.LoadCheckpoint(path);
            return resumed.Train().StepLosses.ToList();
        }

        var uninterrupted = Run(interrupt: false);
        var resumedRun = Run(interrupt: true);

        resumedRun.Should().Equal(uninterrupted);
    }
}
