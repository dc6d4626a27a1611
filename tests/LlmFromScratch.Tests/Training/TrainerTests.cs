using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using LlmFromScratch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private const long DataSeed = 42;
    private readonly TinyCorpus _train = new(windows: 24, seed: 7);   // batch 4 → 6 steps per epoch
    private readonly TinyCorpus _val = new(windows: 8, seed: 8);      // batch 4 → 2 batches
    private readonly string _folder = Directory.CreateTempSubdirectory("llmfs-trainer-").FullName;

    public void Dispose()
    {
        _train.Dispose();
        _val.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static (TinyLanguageModel Model, AdamW Optimizer) Build(long seed = 123, double dropRate = 0.1, double lr = 1e-2)
    {
        manual_seed(seed);
        var model = new TinyLanguageModel(dropRate: dropRate);
        return (model, optim.AdamW(model.parameters(), lr: lr, weight_decay: 0.1));
    }

    private Trainer NewTrainer(TinyLanguageModel model, AdamW optimizer, TrainerSettings settings, TinyCorpus? train = null,
        Func<int, IEnumerable<(Tensor inputs, Tensor targets)>>? batches = null) =>
        new(model, optimizer, batches ?? (epoch => (train ?? _train).Shuffled(batchSize: 4, DataSeed, epoch)), _val.InOrder(batchSize: 4), settings);

    /// <summary>Two ways to make an epoch's order a function of (seed, epoch) only.</summary>
    private Func<int, IEnumerable<(Tensor inputs, Tensor targets)>> ShuffledBatches(string loader) => loader switch
    {
        "TinyCorpus.Shuffled" => epoch => _train.Shuffled(batchSize: 4, DataSeed, epoch),
        // The course's loader reshuffles on every pass from a Random seeded once, so a fresh one per epoch, seeded
        // from the epoch, gives an order that a resumed run can rebuild (and evaluation passes cannot disturb).
        "Text.DataLoader per epoch" => epoch => LlmFromScratch.Text.DataLoader.Create(_train.Items, batchSize: 4, shuffle: true, dropLast: true, seed: (int)DataSeed + epoch),
        _ => throw new ArgumentOutOfRangeException(nameof(loader), loader, null),
    };

    [Fact]
    public void Train_EvaluatesEveryEvalFreqSteps_StartingAtStepZero_AndTracksTokensSeen()
    {
        var (model, optimizer) = Build();
        using var _ = model;
        using var __ = optimizer;
        var trainer = NewTrainer(model, optimizer, new TrainerSettings { NumEpochs = 3, EvalFreq = 5, EvalIter = 2 });

        var history = trainer.Train();

        // 3 epochs × 6 steps = 18 steps (0…17); evaluations after steps 0, 5, 10, 15; each step sees 4 × 8 = 32 tokens.
        history.EvalSteps.Should().Equal(0L, 5L, 10L, 15L);
        history.TokensSeen.Should().Equal(32L, 192L, 352L, 512L);
        history.TrainLosses.Should().HaveCount(4);
        history.ValLosses.Should().HaveCount(4);
        history.StepLosses.Should().HaveCount(18);
        history.LearningRates.Should().HaveCount(18).And.OnlyContain(lr => lr == 1e-2);
        trainer.Position.Should().Be(new TrainingPosition(Epoch: 3, BatchesDoneInEpoch: 0, GlobalStep: 17, TokensSeen: 576));
        trainer.IsComplete.Should().BeTrue();
    }

    [Fact]
    public void Train_LowersTrainingAndValidationLoss()
    {
        var (model, optimizer) = Build(dropRate: 0.0, lr: 5e-2);
        using var _ = model;
        using var __ = optimizer;
        var trainer = NewTrainer(model, optimizer, new TrainerSettings { NumEpochs = 10, EvalFreq = 6, EvalIter = 2 });

        var history = trainer.Train();

        // Untrained, the loss is near ln 16 ≈ 2.77. The corpus follows a fixed successor 80 % of the time, so its
        // entropy is about 0.99 nats; 192 training tokens can be memorised below that, held-out text cannot.
        history.TrainLosses[0].Should().BeInRange(2.3, 3.3);
        history.ValLosses[0].Should().BeInRange(2.3, 3.3);
        history.TrainLosses[^1].Should().BeLessThan(1.0);
        history.ValLosses[^1].Should().BeLessThan(1.6);
    }

    [Fact]
    public void Train_ReportsEachStepEvaluationAndEpoch_WithSamplesTakenInEvalModeWithoutGradients()
    {
        var (model, optimizer) = Build();
        using var _ = model;
        using var __ = optimizer;
        var samplerCalls = new List<(bool Training, bool Grad)>();
        var settings = new TrainerSettings
        {
            NumEpochs = 2, EvalFreq = 4, EvalIter = 1,
            Sampler = m =>
            {
                samplerCalls.Add((m.training, is_grad_enabled()));
                using var prompt = tensor(new long[,] { { 1, 2, 3 } });
                using var ids = GenerateText.Generate(m, prompt, maxNewTokens: 5, contextSize: 8);
                return string.Join(" ", ids.data<long>().ToArray());
            },
        };
        var trainer = NewTrainer(model, optimizer, settings);
        var reports = new List<TrainingProgress>();
        trainer.Progress += (_, p) => reports.Add(p);

        trainer.Train();

        var steps = reports.Where(r => r.Kind == TrainingProgressKind.Step).ToList();
        steps.Select(r => r.GlobalStep).Should().Equal(Enumerable.Range(0, 12).Select(i => (long)i));
        steps.Select(r => r.TokensSeen).Should().Equal(Enumerable.Range(1, 12).Select(i => 32L * i));
        steps.Select(r => r.Epoch).Should().Equal(Enumerable.Repeat(0, 6).Concat(Enumerable.Repeat(1, 6)));
        steps[0].TrainLoss.Should().BeNull("no evaluation has run before the first step's report");
        steps[1].TrainLoss.Should().NotBeNull();
        reports.Where(r => r.Kind == TrainingProgressKind.Evaluation).Select(r => r.GlobalStep).Should().Equal(0L, 4L, 8L);
        var epochEnds = reports.Where(r => r.Kind == TrainingProgressKind.EpochEnd).ToList();
        epochEnds.Select(r => r.Epoch).Should().Equal(0, 1);
        epochEnds.Should().OnlyContain(r => r.Sample != null && r.Sample.StartsWith("1 2 3 ") && r.Sample.Split(' ').Length == 8);
        samplerCalls.Should().Equal((false, false), (false, false));
        model.training.Should().BeTrue("the trainer restores the mode it found");
    }

    [Fact]
    public void Train_KeepsTheLiveTensorCountFlat_Over200Steps()
    {
        using var corpus = new TinyCorpus(windows: 80, seed: 9);                    // batch 4 → 20 steps per epoch
        var (model, optimizer) = Build();
        using var _ = model;
        using var __ = optimizer;
        var settings = new TrainerSettings
        {
            NumEpochs = 10, EvalFreq = 10, EvalIter = 2, MaxGradNorm = 1.0,
            Schedule = new LearningRateSchedule(peakLr: 1e-2, totalSteps: 200, warmupSteps: 20),
            Sampler = m =>
            {
                using var prompt = tensor(new long[,] { { 1, 2 } });
                using var ids = GenerateText.Generate(m, prompt, maxNewTokens: 10, contextSize: 8, temperature: 1.0, topK: 5);
                return ids.shape[1].ToString();
            },
        };
        var trainer = NewTrainer(model, optimizer, settings, corpus);
        var liveAtEvaluation = new List<long>();
        var liveAtEpochEnd = new List<long>();
        trainer.Progress += (_, p) =>
        {
            var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            if (p.Kind == TrainingProgressKind.Evaluation) liveAtEvaluation.Add(live);     // inside a step's scope
            if (p.Kind == TrainingProgressKind.EpochEnd) liveAtEpochEnd.Add(live);         // between steps
        };
        var liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        var history = trainer.Train();

        var liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Console.WriteLine($"live tensors: before {liveBefore}, at epoch ends {string.Join(",", liveAtEpochEnd)}, " +
                          $"at evaluations {string.Join(",", liveAtEvaluation)}, after {liveAfter}");
        history.StepLosses.Should().HaveCount(200);
        liveAtEpochEnd.Should().HaveCount(10).And.OnlyContain(n => n == liveAtEpochEnd[0], "tensors made in a step must not outlive it");
        // Step 0's evaluation is skipped: its zero_grad had no gradients yet, so that step holds 4 fewer temporaries.
        liveAtEvaluation.Should().HaveCount(20);
        liveAtEvaluation.Skip(1).Should().OnlyContain(n => n == liveAtEvaluation[1]);
        liveAfter.Should().Be(liveBefore, "nothing the run created survives it");
    }

    [Theory]
    [InlineData("TinyCorpus.Shuffled")]
    [InlineData("Text.DataLoader per epoch")]
    public void Train_ResumedFromACheckpoint_ReproducesTheUninterruptedRunBitForBit(string loader)
    {
        var settings = ResumeSettings();
        var batches = ShuffledBatches(loader);

        // Run A: never interrupted.
        var (modelA, optimizerA) = Build(seed: 123, dropRate: 0.2);
        using var _ = modelA;
        using var __ = optimizerA;
        var uninterrupted = NewTrainer(modelA, optimizerA, settings, batches: batches).Train();

        // Run B: same seed, cancelled after step 8 (the third batch of epoch 1); cancellation writes the checkpoint.
        var path = Path.Combine(_folder, "run.ckpt");
        var (modelB, optimizerB) = Build(seed: 123, dropRate: 0.2);
        var interrupted = NewTrainer(modelB, optimizerB, settings with { CheckpointPath = path }, batches: batches);
        using var cancel = new CancellationTokenSource();
        interrupted.Progress += (_, p) => { if (p.Kind == TrainingProgressKind.Step && p.GlobalStep == 8) cancel.Cancel(); };
        interrupted.Train(cancel.Token);
        interrupted.IsComplete.Should().BeFalse();
        interrupted.Position.Should().Be(new TrainingPosition(Epoch: 1, BatchesDoneInEpoch: 3, GlobalStep: 8, TokensSeen: 288));
        modelB.Dispose();
        optimizerB.Dispose();

        // Run C: a new process would start from a differently seeded model; the checkpoint must restore everything.
        var (modelC, optimizerC) = Build(seed: 999, dropRate: 0.2);
        using var ___ = modelC;
        using var ____ = optimizerC;
        var resumed = NewTrainer(modelC, optimizerC, settings, batches: batches);
        resumed.LoadCheckpoint(path);
        var continued = resumed.Train();

        continued.StepLosses.Should().HaveCount(18).And.Equal(uninterrupted.StepLosses);
        continued.TrainLosses.Should().Equal(uninterrupted.TrainLosses);
        continued.ValLosses.Should().Equal(uninterrupted.ValLosses);
        continued.TokensSeen.Should().Equal(uninterrupted.TokensSeen);
        continued.LearningRates.Should().Equal(uninterrupted.LearningRates);
        foreach (var (a, c) in modelA.parameters().Zip(modelC.parameters()))
            Tensors.Identical(a, c).Should().BeTrue("the final weights of both runs are the same bits");
    }

    [Fact]
    public void Train_ResumedWithoutTheSavedRandomState_Diverges()
    {
        // The control for the test above: dropout and the sampler draw from the global generator, so the
        // generator's state is part of what an exact resume must restore.
        var settings = ResumeSettings();
        var (modelA, optimizerA) = Build(seed: 123, dropRate: 0.2);
        using var _ = modelA;
        using var __ = optimizerA;
        var uninterrupted = NewTrainer(modelA, optimizerA, settings).Train();

        var path = Path.Combine(_folder, "run.ckpt");
        var (modelB, optimizerB) = Build(seed: 123, dropRate: 0.2);
        using var ___ = modelB;
        using var ____ = optimizerB;
        var trainer = NewTrainer(modelB, optimizerB, settings);
        using var cancel = new CancellationTokenSource();
        trainer.Progress += (_, p) => { if (p.Kind == TrainingProgressKind.Step && p.GlobalStep == 8) cancel.Cancel(); };
        trainer.Train(cancel.Token);
        trainer.SaveCheckpoint(path);
        trainer.LoadCheckpoint(path);
        manual_seed(5);
        var diverged = trainer.Train();

        diverged.StepLosses.Take(9).Should().Equal(uninterrupted.StepLosses.Take(9));
        diverged.StepLosses.Skip(9).Should().NotEqual(uninterrupted.StepLosses.Skip(9));
    }

    private static TrainerSettings ResumeSettings() => new()
    {
        NumEpochs = 3, EvalFreq = 4, EvalIter = 2, MaxGradNorm = 1.0,
        Schedule = new LearningRateSchedule(peakLr: 1e-2, totalSteps: 18, warmupSteps: 4, initialLr: 1e-3, minLr: 1e-4),
        Sampler = m =>
        {
            // Samples from the global generator, so the random state after each epoch matters too.
            using var prompt = tensor(new long[,] { { 3 } });
            using var ids = GenerateText.Generate(m, prompt, maxNewTokens: 4, contextSize: 8, temperature: 1.0);
            return string.Join(" ", ids.data<long>().ToArray());
        },
    };

    [Fact]
    public void Train_SetsTheScheduledLearningRateBeforeEveryStep()
    {
        var (model, optimizer) = Build();
        using var _ = model;
        using var __ = optimizer;
        var schedule = new LearningRateSchedule(peakLr: 1e-2, totalSteps: 12, warmupSteps: 3, initialLr: 1e-3, minLr: 1e-4);
        var trainer = NewTrainer(model, optimizer, new TrainerSettings { NumEpochs = 2, EvalFreq = 100, EvalIter = 1, Schedule = schedule });

        var history = trainer.Train();

        history.LearningRates.Should().Equal(schedule.Curve());
        optimizer.ParamGroups.First().LearningRate.Should().Be(schedule.At(11));
    }

    [Fact]
    public void Train_ClipsTheGlobalGradientNormToMaxGradNorm()
    {
        double LastStepGradientNorm(double? maxGradNorm)
        {
            var (model, optimizer) = Build();
            using var _ = model;
            using var __ = optimizer;
            NewTrainer(model, optimizer, new TrainerSettings { NumEpochs = 1, EvalFreq = 100, EvalIter = 1, MaxGradNorm = maxGradNorm }).Train();
            using var scope = NewDisposeScope();
            return stack(model.parameters().Select(p => p.grad!.norm(2.0f))).norm(2.0f).item<float>();   // gradients of the last step
        }

        LastStepGradientNorm(null).Should().BeGreaterThan(0.05);
        LastStepGradientNorm(0.05).Should().BeLessThanOrEqualTo(0.05 + 1e-6);
    }

    [Fact]
    public void Train_CancelledStopsAtAStepBoundary_AndContinuesWhenCalledAgain()
    {
        var (model, optimizer) = Build();
        using var _ = model;
        using var __ = optimizer;
        var trainer = NewTrainer(model, optimizer, new TrainerSettings { NumEpochs = 2, EvalFreq = 5, EvalIter = 1 });
        using var cancel = new CancellationTokenSource();
        trainer.Progress += (_, p) => { if (p.Kind == TrainingProgressKind.Step && p.GlobalStep == 2) cancel.Cancel(); };

        var partial = trainer.Train(cancel.Token);

        partial.StepLosses.Should().HaveCount(3);
        trainer.Position.Should().Be(new TrainingPosition(0, 3, 2, 96));
        trainer.Train().StepLosses.Should().HaveCount(12);
        trainer.IsComplete.Should().BeTrue();
    }

    [Fact]
    public void Train_Throws_WhenTheResumedEpochHasFewerBatchesThanThePositionSays()
    {
        var (model, optimizer) = Build();
        using var _ = model;
        using var __ = optimizer;
        var path = Path.Combine(_folder, "short.ckpt");
        var trainer = NewTrainer(model, optimizer, new TrainerSettings { NumEpochs = 1, EvalFreq = 5, EvalIter = 1 });
        using var cancel = new CancellationTokenSource();
        trainer.Progress += (_, p) => { if (p.Kind == TrainingProgressKind.Step && p.GlobalStep == 4) cancel.Cancel(); };
        trainer.Train(cancel.Token);
        trainer.SaveCheckpoint(path);
        using var smaller = new TinyCorpus(windows: 8, seed: 7);                    // 2 batches per epoch
        var other = NewTrainer(model, optimizer, trainer.Settings, smaller);
        other.LoadCheckpoint(path);

        var act = () => other.Train();

        act.Should().Throw<InvalidOperationException>().WithMessage("*5 batches of epoch 0*only 2*");
    }

    [Fact]
    public void Constructor_Throws_WhenTheModelHasNoParameters()
    {
        using var identity = nn.Identity();
        using var model = new TinyLanguageModel();
        using var optimizer = optim.AdamW(model.parameters());

        var act = () => new Trainer(identity, optimizer, _ => [], [], new TrainerSettings { NumEpochs = 1 });

        act.Should().Throw<ArgumentException>().WithParameterName("model");
    }

    [Fact]
    public void Settings_Throw_ForValuesOutsideTheirRange()
    {
        FluentActions.Invoking(() => new TrainerSettings { NumEpochs = 0 }).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("NumEpochs");
        FluentActions.Invoking(() => new TrainerSettings { NumEpochs = 1, EvalFreq = 0 }).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("EvalFreq");
        FluentActions.Invoking(() => new TrainerSettings { NumEpochs = 1, EvalIter = 0 }).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("EvalIter");
        FluentActions.Invoking(() => new TrainerSettings { NumEpochs = 1, MaxGradNorm = 0 }).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("MaxGradNorm");
        FluentActions.Invoking(() => new TrainerSettings { NumEpochs = 1, CheckpointEvery = -1 }).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("CheckpointEvery");
    }

    /// <summary>A small GPT for the trainer's mixed-precision tests: the corpus's 16-token vocabulary, context 8.</summary>
    private static GptModel SmallGpt(long seed = 123)
    {
        manual_seed(seed);
        return new GptModel(new GptConfig(vocabSize: 16, contextLength: 8, embDim: 32, nHeads: 2, nLayers: 2, dropRate: 0.0, qkvBias: false));
    }

    private TrainingHistory TrainSmallGpt(ScalarType computeDtype, out GptModel model)
    {
        model = SmallGpt();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-2, weight_decay: 0.1);
        var trainer = new Trainer(model, optimizer, epoch => _train.Shuffled(batchSize: 4, DataSeed, epoch), _val.InOrder(batchSize: 4),
            new TrainerSettings { NumEpochs = 5, EvalFreq = 10, EvalIter = 2, ComputeDtype = computeDtype });
        return trainer.Train();
    }

    [Fact]
    public void Train_InBFloat16_FollowsTheFloat32LossCurveWithinTolerance()
    {
        var fp32 = TrainSmallGpt(ScalarType.Float32, out var fp32Model);
        var bf16 = TrainSmallGpt(ScalarType.BFloat16, out var bf16Model);
        using var _ = fp32Model;
        using var __ = bf16Model;

        // Same seed, data and 30 steps: the loss falls from ≈ ln 16 = 2.77 to ≈ 1 either way. Stated tolerance: every
        // step's bfloat16 loss within 0.02 nats of the float32 loss (bfloat16 keeps about 3 significant digits; the
        // largest difference seen here was 0.002).
        var diffs = fp32.StepLosses.Zip(bf16.StepLosses, (a, b) => Math.Abs(a - b)).ToList();
        Console.WriteLine($"fp32 {string.Join(" ", fp32.StepLosses.Select(l => l.ToString("F3")))}");
        Console.WriteLine($"bf16 {string.Join(" ", bf16.StepLosses.Select(l => l.ToString("F3")))}");
        bf16.StepLosses.Should().HaveCount(30);
        fp32.StepLosses[^1].Should().BeLessThan(fp32.StepLosses[0] - 1.0, "the run is long enough to learn");
        diffs.Should().OnlyContain(d => d < 0.02);
        diffs.Max().Should().BeGreaterThan(0, "the products really ran in bfloat16");
        bf16.ValLosses.Zip(fp32.ValLosses, (a, b) => Math.Abs(a - b)).Should().OnlyContain(d => d < 0.02);
        bf16Model.ComputeDtype.Should().Be(ScalarType.Float32, "the trainer restores the model's compute dtype");
        bf16Model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32);
    }

    [Fact]
    public void Train_InFloat32_GivesThePlainLoopsLossesBitForBit()
    {
        var trained = TrainSmallGpt(ScalarType.Float32, out var model);
        using var _ = model;

        // The book's loop, written out: zero the gradients in place, loss, backward, AdamW step.
        using var plain = SmallGpt();
        using var optimizer = optim.AdamW(plain.parameters(), lr: 1e-2, weight_decay: 0.1);
        var losses = new List<double>();
        for (var epoch = 0; epoch < 5; epoch++)
            foreach (var (inputs, targets) in _train.Shuffled(batchSize: 4, DataSeed, epoch))
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = Losses.CalcLossBatch(inputs, targets, plain, CPU);
                loss.backward();
                optimizer.step();
                losses.Add(loss.item<float>());
            }

        trained.StepLosses.Should().Equal(losses);
    }

    [Fact]
    public void Constructor_Throws_ForBFloat16_WhenTheModelCannotComputeInIt()
    {
        using var model = new TinyLanguageModel();
        using var optimizer = optim.AdamW(model.parameters());

        var act = () => new Trainer(model, optimizer, _ => [], [], new TrainerSettings { NumEpochs = 1, ComputeDtype = ScalarType.BFloat16 });

        act.Should().Throw<ArgumentException>().WithParameterName("settings").WithMessage("*IMixedPrecision*");
    }

    [Fact]
    public void Settings_Throw_ForAComputeDtypeOtherThanFloat32OrBFloat16()
    {
        FluentActions.Invoking(() => new TrainerSettings { NumEpochs = 1, ComputeDtype = ScalarType.Float16 })
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ComputeDtype");
        new TrainerSettings { NumEpochs = 1 }.ComputeDtype.Should().Be(ScalarType.Float32);
    }

    [Fact]
    public void Train_LeavesEmptyGradientsToBackward_AndStillUpdatesEveryParameter()
    {
        var (model, optimizer) = Build(dropRate: 0.0);
        using var _ = model;
        using var __ = optimizer;
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        var trainer = NewTrainer(model, optimizer, new TrainerSettings { NumEpochs = 1, EvalFreq = 100, EvalIter = 1 });

        trainer.Train();

        model.parameters().Select(p => p.grad).Should().NotContainNulls("the last step's gradients are kept, as in PyTorch");
        model.parameters().Zip(before).Should().OnlyContain(pair => !pair.First.equal(pair.Second).all().item<bool>());
        foreach (var t in before) t.Dispose();
    }
}
