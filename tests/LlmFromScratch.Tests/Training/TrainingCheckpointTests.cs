using LlmFromScratch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

public sealed class TrainingCheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llmfs-checkpoint-").FullName;
    private readonly TinyCorpus _corpus = new();

    public void Dispose()
    {
        _corpus.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>A model and optimizer after 5 steps, with the position and history a trainer recorded.</summary>
    private (TinyLanguageModel Model, AdamW Optimizer, Trainer Trainer) Trained(long seed = 123, int embDim = 16)
    {
        manual_seed(seed);
        var model = new TinyLanguageModel(embDim: embDim, dropRate: 0.1);
        var optimizer = optim.AdamW(model.parameters(), lr: 1e-2, weight_decay: 0.1);
        var trainer = new Trainer(model, optimizer, _ => _corpus.InOrder(batchSize: 4), _corpus.InOrder(batchSize: 4),
            new TrainerSettings { NumEpochs = 2, EvalFreq = 2, EvalIter = 1 });
        using var cancel = new CancellationTokenSource();
        trainer.Progress += (_, p) => { if (p.Kind == TrainingProgressKind.Step && p.GlobalStep == 4) cancel.Cancel(); };
        trainer.Train(cancel.Token);
        return (model, optimizer, trainer);
    }

    [Fact]
    public void SaveThenLoad_RestoresWeightsOptimizerStatePositionHistoryAndRandomState()
    {
        var (model, optimizer, trainer) = Trained();
        using var _ = model;
        using var __ = optimizer;
        var path = PathOf("a.ckpt");
        TrainingCheckpoint.Save(path, model, optimizer, trainer.Position, trainer.History);
        using var expectedDraw = rand(5);                                            // what the generator gives next
        using var fresh = new TinyLanguageModel(dropRate: 0.1);
        using var loadedOptimizer = optim.AdamW(fresh.parameters(), lr: 1.0);

        var (position, history) = TrainingCheckpoint.Load(path, fresh, loadedOptimizer);

        using var draw = rand(5);
        Tensors.Identical(draw, expectedDraw).Should().BeTrue("the generator is back where it was when saved");
        position.Should().Be(new TrainingPosition(0, 5, 4, 160));
        history.StepLosses.Should().Equal(trainer.History.StepLosses);
        history.TrainLosses.Should().Equal(trainer.History.TrainLosses);
        history.EvalSteps.Should().Equal(0L, 2L, 4L);
        foreach (var ((name, saved), (_, loaded)) in model.named_parameters().Zip(fresh.named_parameters()))
            Tensors.Identical(saved, loaded).Should().BeTrue(name);
        loadedOptimizer.ParamGroups.First().LearningRate.Should().Be(1e-2);
        var savedStates = optimizer.state_dict().State.Cast<AdamW.State>().ToList();
        var loadedStates = loadedOptimizer.state_dict().State.Cast<AdamW.State>().ToList();
        foreach (var (s, l) in savedStates.Zip(loadedStates))
        {
            l.step.Should().Be(5);
            Tensors.Identical(s.exp_avg, l.exp_avg).Should().BeTrue();
            Tensors.Identical(s.exp_avg_sq, l.exp_avg_sq).Should().BeTrue();
        }
    }

    [Fact]
    public void Save_ReplacesAnExistingCheckpoint_AndLeavesNoTemporaryFile()
    {
        var (model, optimizer, trainer) = Trained();
        using var _ = model;
        using var __ = optimizer;
        var path = PathOf("run.ckpt");

        TrainingCheckpoint.Save(path, model, optimizer, trainer.Position, trainer.History);
        TrainingCheckpoint.Save(path, model, optimizer, trainer.Position with { TokensSeen = 999 }, trainer.History);

        Directory.GetFiles(_folder).Should().Equal(path);
        TrainingCheckpoint.Load(path, model, optimizer).Position.TokensSeen.Should().Be(999);
    }

    [Fact]
    public void Save_ThatFails_LeavesThePreviousCheckpointIntact()
    {
        var (model, optimizer, trainer) = Trained();
        using var _ = model;
        using var __ = optimizer;
        var path = PathOf("run.ckpt");
        TrainingCheckpoint.Save(path, model, optimizer, trainer.Position, trainer.History);
        var before = File.ReadAllBytes(path);
        using var failing = new FailingOptimizer(model.parameters());

        var act = () => TrainingCheckpoint.Save(path, model, failing, trainer.Position, trainer.History);

        act.Should().Throw<IOException>().WithMessage("disk full");
        Directory.GetFiles(_folder).Should().Equal(path);
        File.ReadAllBytes(path).Should().Equal(before);
    }

    [Fact]
    public void Load_Throws_ForATruncatedFile_WithoutTouchingTheModel()
    {
        var (model, optimizer, trainer) = Trained();
        using var _ = model;
        using var __ = optimizer;
        var path = PathOf("full.ckpt");
        TrainingCheckpoint.Save(path, model, optimizer, trainer.Position, trainer.History);
        var bytes = File.ReadAllBytes(path);
        var truncated = PathOf("truncated.ckpt");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        using var target = new TinyLanguageModel();
        using var targetOptimizer = optim.AdamW(target.parameters());
        var weightsBefore = target.parameters().Select(p => p.clone()).ToList();

        var act = () => TrainingCheckpoint.Load(truncated, target, targetOptimizer);

        act.Should().Throw<InvalidDataException>().WithMessage($"*'{truncated}' is incomplete*{bytes.Length - 52} bytes*holds {bytes.Length / 2 - 52}*");
        foreach (var (now, then) in target.parameters().Zip(weightsBefore)) Tensors.Identical(now, then).Should().BeTrue();
        weightsBefore.ForEach(t => t.Dispose());
    }

    [Fact]
    public void Load_Throws_ForAFileCutInsideItsHeader()
    {
        var path = PathOf("stub.ckpt");
        File.WriteAllBytes(path, "LLMFS"u8.ToArray());
        using var model = new TinyLanguageModel();
        using var optimizer = optim.AdamW(model.parameters());

        var act = () => TrainingCheckpoint.Load(path, model, optimizer);

        act.Should().Throw<InvalidDataException>().WithMessage("*5 bytes, shorter than its 52-byte header*incomplete*");
    }

    [Fact]
    public void Load_Throws_WhenAByteIsDamaged()
    {
        var (model, optimizer, trainer) = Trained();
        using var _ = model;
        using var __ = optimizer;
        var path = PathOf("damaged.ckpt");
        TrainingCheckpoint.Save(path, model, optimizer, trainer.Position, trainer.History);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var act = () => TrainingCheckpoint.Load(path, model, optimizer);

        act.Should().Throw<InvalidDataException>().WithMessage("*corrupt*SHA-256*");
    }

    [Fact]
    public void Load_Throws_ForAFileThatIsNotACheckpoint()
    {
        var path = PathOf("notes.txt");
        File.WriteAllText(path, new string('x', 200));
        using var model = new TinyLanguageModel();
        using var optimizer = optim.AdamW(model.parameters());

        var act = () => TrainingCheckpoint.Load(path, model, optimizer);

        act.Should().Throw<InvalidDataException>().WithMessage("*not a training checkpoint*");
    }

    [Fact]
    public void Load_Throws_WhenTheModelIsShapedDifferently_NamingTheTensor()
    {
        var (model, optimizer, trainer) = Trained();
        using var _ = model;
        using var __ = optimizer;
        var path = PathOf("a.ckpt");
        TrainingCheckpoint.Save(path, model, optimizer, trainer.Position, trainer.History);
        using var narrower = new TinyLanguageModel(embDim: 8);
        using var narrowerOptimizer = optim.AdamW(narrower.parameters());

        var act = () => TrainingCheckpoint.Load(path, narrower, narrowerOptimizer);

        act.Should().Throw<ArgumentException>().WithMessage("*tok_emb.weight*(16, 16)*(16, 8)*");
    }

    [Fact]
    public void Load_Throws_WhenTheFileIsMissing()
    {
        using var model = new TinyLanguageModel();
        using var optimizer = optim.AdamW(model.parameters());

        var act = () => TrainingCheckpoint.Load(PathOf("missing.ckpt"), model, optimizer);

        act.Should().Throw<FileNotFoundException>();
    }

    /// <summary>Fails half-way through a save, after the model's tensors are written, as a full disk would.</summary>
    private sealed class FailingOptimizer : OptimizerHelper
    {
        public FailingOptimizer(IEnumerable<Parameter> parameters) => _parameter_groups = [new AdamW.ParamGroup(parameters)];

        public override StateDictionary state_dict() => throw new IOException("disk full");
    }
}
