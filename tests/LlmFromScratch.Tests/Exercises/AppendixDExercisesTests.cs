using LlmFromScratch.Exercises;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class AppendixDExercisesTests
{
    // D.1 — warm-up and cosine decay

    private static double LearningRateAt(int step, double peakLr, int totalSteps, int warmupSteps, double initialLr, double minLr)
    {
        if (step < warmupSteps) return initialLr + step * (peakLr - initialLr) / warmupSteps;
        var progress = Math.Min(1.0, (double)(step - warmupSteps) / (totalSteps - warmupSteps));
        return minLr + (peakLr - minLr) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    [Fact]
    public void LearningRate_Passes_ForWarmupThenCosine()
    {
        var outcome = Check.Evaluate("D.1", LearningRateAt);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void LearningRate_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("D.1", (Func<int, double, int, int, double, double, double>)((_, _, _, _, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("0.5 · (1 + cos(π · progress))");
    }

    [Fact]
    public void LearningRate_NamesTheStep_WhenTheCosineClimbsBackAfterTheLastStep()
    {
        // The book's formula without the min(1, …): past totalSteps the cosine rises again.
        var outcome = Check.Evaluate("D.1", (Func<int, double, int, int, double, double, double>)((step, peak, total, warmup, initial, min) =>
            step < warmup
                ? LearningRateAt(step, peak, total, warmup, initial, min)
                : min + (peak - min) * 0.5 * (1 + Math.Cos(Math.PI * (step - warmup) / (total - warmup)))));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("lr at step 142 (peakLr 0.001, totalSteps 135, warmupSteps 27");
    }

    [Fact]
    public void LearningRate_NamesTheStep_WhenWarmupIsOneStepShort()
    {
        var outcome = Check.Evaluate("D.1", (Func<int, double, int, int, double, double, double>)((step, peak, total, warmup, initial, min) =>
            LearningRateAt(step, peak, total, warmup, initial, min) * (step == warmup - 1 ? 2 : 1)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("lr at step 26 (");
    }

    // D.2 — gradient clipping

    private static Tensor[] ClipGradNorm(Tensor[] grads, double maxNorm)
    {
        var total = Math.Sqrt(grads.Sum(g => g.square().sum().item<float>()));
        if (total <= maxNorm) return grads;
        var scale = maxNorm / (total + 1e-6);
        return grads.Select(g => g * scale).ToArray();
    }

    [Fact]
    public void Clipping_Passes_ForGlobalNormScaling()
    {
        var outcome = Check.Evaluate("D.2", ClipGradNorm);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Clipping_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("D.2", (Func<Tensor[], double, Tensor[]>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("never scale up");
    }

    [Fact]
    public void Clipping_NamesTheGradient_WhenEachIsClippedToItsOwnNorm()
    {
        var outcome = Check.Evaluate("D.2", (Func<Tensor[], double, Tensor[]>)((grads, maxNorm) =>
            grads.SelectMany(g => ClipGradNorm([g], maxNorm)).ToArray()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("gradients far above the limit, shapes (3, 4) (4), maxNorm 1: gradient 0: max abs difference");
    }

    [Fact]
    public void Clipping_NamesTheCase_WhenSmallGradientsAreScaledUp()
    {
        var outcome = Check.Evaluate("D.2", (Func<Tensor[], double, Tensor[]>)((grads, maxNorm) =>
        {
            var total = grads.Select(g => g.square().sum()).Aggregate((a, b) => a + b).sqrt();
            return grads.Select(g => g * (maxNorm / (total + 1e-6))).ToArray();
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("gradients below the limit (unchanged), shapes (3, 4) (4), maxNorm 1: gradient 0: max abs difference");
    }

    [Fact]
    public void Clipping_SaysHowManyTensors_WhenOneIsMissing()
    {
        var outcome = Check.Evaluate("D.2", (Func<Tensor[], double, Tensor[]>)((grads, maxNorm) => ClipGradNorm(grads, maxNorm)[..^1]));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("got 1 tensors, expected 2, one per gradient");
    }

    // D.3 — where the cosine crosses half the peak

    [Fact]
    public void HalfPeak_Passes_ForTheStepFoundByWalkingTheSchedule()
    {
        var step = 27;
        while (LearningRateAt(step, 1e-3, 135, 27, 1e-4, 1e-5) >= 1e-3 / 2) step++;

        Check.Evaluate("D.3", () => step).Status.Should().Be("pass");
        step.Should().Be(82);
    }

    [Fact]
    public void HalfPeak_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("D.3", (Func<int>)(() => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("is one half at progress 0.5");
    }

    [Fact]
    public void HalfPeak_ShowsBothSteps_WhenMinLrIsIgnored()
    {
        var outcome = Check.Evaluate("D.3", () => 27 + 108 / 2);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("81 is too low: at that step the cosine term is exactly ½");
    }
}
