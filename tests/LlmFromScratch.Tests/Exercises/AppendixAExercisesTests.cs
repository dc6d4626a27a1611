using LlmFromScratch.Exercises;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

// CheckTests exercises the framework through A.1 and A.3; these cover each appendix A exercise in turn.
public class AppendixAExercisesTests
{
    // A.1 — softmax

    private static Tensor Softmax(Tensor x)
    {
        var e = (x - x.amax([-1], keepdim: true)).exp();
        return e / e.sum(-1, keepdim: true);
    }

    [Fact]
    public void Softmax_Passes_WhenTheRowMaximumIsSubtracted()
    {
        Check.Evaluate("A.1", Softmax).Status.Should().Be("pass");
    }

    [Fact]
    public void Softmax_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("A.1", (Func<Tensor, Tensor>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("subtract the row maximum before exp");
    }

    [Fact]
    public void Softmax_ReportsTheDifference_WhenSummingOverEveryDimension()
    {
        var outcome = Check.Evaluate("A.1", (Func<Tensor, Tensor>)(x => (x - x.max()).exp() / (x - x.max()).exp().sum()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("softmax of a 3x5 input: max abs difference");
    }

    [Fact]
    public void Softmax_ReportsTheNaN_WhenExpOverflowsWithoutTheShift()
    {
        var outcome = Check.Evaluate("A.1", (Func<Tensor, Tensor>)(x => x.exp() / x.exp().sum(-1, keepdim: true)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("softmax of a 2x6 input with values in the hundreds: got NaN at [");
    }

    // A.2 — gradients by autograd

    private static (double, double) Gradients(double x, double y, double w, double b)
    {
        var wt = tensor(w, requires_grad: true);
        var bt = tensor(b, requires_grad: true);
        (wt * x + bt - y).pow(2).backward();
        return (wt.grad!.item<double>(), bt.grad!.item<double>());
    }

    [Fact]
    public void Gradients_Pass_WhenComputedByAutograd()
    {
        Check.Evaluate("A.2", Gradients).Status.Should().Be("pass");
    }

    [Fact]
    public void Gradients_Fail_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("A.2", (Func<double, double, double, double, (double, double)>)((_, _, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("call backward()");
    }

    [Fact]
    public void Gradients_NameTheInputs_WhenTheFactorTwoIsMissing()
    {
        var outcome = Check.Evaluate("A.2", (Func<double, double, double, double, (double, double)>)((x, y, w, b) =>
        {
            var (dw, db) = Gradients(x, y, w, b);
            return (dw / 2, db / 2);
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().MatchRegex(@"dLoss/dw at x=-?[\d.]+, y=-?[\d.]+, w=-?[\d.]+, b=-?[\d.]+: got -?[\d.E-]+, expected");
    }

    // A.3 — parameters of the appendix's network

    [Fact]
    public void ParameterCount_Passes_ForWeightsAndBiases()
    {
        Check.Evaluate("A.3", () => (50 * 30 + 30) + (30 * 20 + 20) + (20 * 3 + 3)).Status.Should().Be("pass");
    }

    [Fact]
    public void ParameterCount_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("A.3", (Func<long>)(() => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("50→30→20→3");
    }

    [Fact]
    public void ParameterCount_NamesTheSlip_WhenBiasesAreLeftOut()
    {
        var outcome = Check.Evaluate("A.3", () => 50 * 30 + 30 * 20 + 20 * 3);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("2,160 is too low: each Linear also has one bias per output").And.NotContain("2,213");
    }
}
