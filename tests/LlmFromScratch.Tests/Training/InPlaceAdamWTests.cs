using LlmFromScratch.Model;
using LlmFromScratch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

public class InPlaceAdamWTests
{
    private static GptConfig Config => GptConfig.Tiny with { VocabSize = 64, DropRate = 0.0 };

    /// <summary>Trains a fresh seeded model for a few steps and returns every parameter's values afterwards.</summary>
    private static List<float[]> Train(Func<IEnumerable<Parameter>, OptimizerHelper> makeOptimizer, int steps = 4)
    {
        manual_seed(11);
        using var model = new GptModel(Config);
        using var optimizer = makeOptimizer(model.parameters());
        using var ids = randint(0, Config.VocabSize, [2, 9]);
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = Losses.CalcLossBatch(ids[.., ..^1], ids[.., 1..], model, CPU);
            loss.backward();
            optimizer.step();
        }
        return model.parameters().Select(p => p.detach().data<float>().ToArray()).ToList();
    }

    [Fact]
    public void Step_GivesTorchSharpsAdamWResultsBitForBit()
    {
        var reference = Train(p => optim.AdamW(p, lr: 1e-2, weight_decay: 0.1));
        var inPlace = Train(p => new InPlaceAdamW(p, lr: 1e-2, weight_decay: 0.1));

        inPlace.Should().HaveCount(reference.Count);
        for (var i = 0; i < reference.Count; i++) inPlace[i].Should().Equal(reference[i], $"parameter {i}");
    }

    [Fact]
    public void Step_WithAmsgrad_TakesTheBaseClassPath_AndMatchesIt()
    {
        var reference = Train(p => optim.AdamW(p, lr: 1e-2, amsgrad: true), steps: 2);
        var inPlace = Train(p => new InPlaceAdamW(p, lr: 1e-2, amsgrad: true), steps: 2);

        for (var i = 0; i < reference.Count; i++) inPlace[i].Should().Equal(reference[i], $"parameter {i}");
    }

    [Fact]
    public void Step_CreatesNoTensorsButTheGradientHandles_WhereAdamWCreatesTwoTemporariesPerParameter()
    {
        var (inPlace, parameters) = TensorsCreatedBySecondStep(p => new InPlaceAdamW(p, lr: 1e-3));
        var (stock, _) = TensorsCreatedBySecondStep(p => optim.AdamW(p, lr: 1e-3));

        inPlace.Should().Be(parameters, "one gradient handle per parameter, the denominators are reused views");
        stock.Should().Be(3 * parameters, "TorchSharp's AdamW also makes √v and √v / √(1 − β₂ᵗ) for every parameter");
    }

    private static (long Created, int Parameters) TensorsCreatedBySecondStep(Func<IEnumerable<Parameter>, OptimizerHelper> makeOptimizer)
    {
        manual_seed(12);
        using var model = new GptModel(Config);
        using var optimizer = makeOptimizer(model.parameters());
        using var ids = randint(0, Config.VocabSize, [2, 9]);
        using (var scope = NewDisposeScope()) Losses.CalcLossBatch(ids[.., ..^1], ids[.., 1..], model, CPU).backward();
        optimizer.step();   // the first step may set things up
        var stats = DisposeScopeManager.Statistics;
        var before = stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;

        optimizer.step();

        return (stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount - before, model.parameters().Count());
    }
}
