using LlmFromScratch.Exercises;
using LlmFromScratch.Finetuning;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class AppendixEExercisesTests
{
    // E.1 — the LoRA layer

    private sealed class MyLoRALayer : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter A;
        private readonly Parameter B;
        private readonly double alpha;

        public MyLoRALayer(long inDim, long outDim, long rank, double alpha, bool randomB = false, bool useAlpha = true, string names = "AB")
            : base(nameof(MyLoRALayer))
        {
            A = new Parameter(empty(inDim, rank));
            nn.init.kaiming_uniform_(A, a: Math.Sqrt(5));
            B = new Parameter(randomB ? randn(rank, outDim) : zeros(rank, outDim));
            this.alpha = useAlpha ? alpha : 1;
            if (names == "AB") RegisterComponents();
            else
            {
                register_parameter(names[..1], A);
                register_parameter(names[1..], B);
            }
        }

        public override Tensor forward(Tensor x) => alpha * x.matmul(A).matmul(B);   // (…, out)
    }

    [Fact]
    public void LoRALayer_Passes_ForAlphaTimesXAB()
    {
        var outcome = Check.Evaluate("E.1", (long i, long o, long r, double a) => new MyLoRALayer(i, o, r, a));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void LoRALayer_Passes_WhenTheLibrarysLayerIsReturned()
    {
        var outcome = Check.Evaluate("E.1", (long i, long o, long r, double a) => new LoRALayer(i, o, r, a));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void LoRALayer_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("E.1", (Func<long, long, long, double, nn.Module<Tensor, Tensor>>)((_, _, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("alpha * x.matmul(A).matmul(B)");
    }

    [Fact]
    public void LoRALayer_SaysBMustStartAtZero_WhenItIsRandom()
    {
        var outcome = Check.Evaluate("E.1", (long i, long o, long r, double a) => new MyLoRALayer(i, o, r, a, randomB: true));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("LoRA layer (4 → 3, rank 2, alpha 1.5): output of a fresh layer (B starts at zero, so it adds nothing)");
    }

    [Fact]
    public void LoRALayer_ShowsTheDifference_WhenAlphaIsForgotten()
    {
        var outcome = Check.Evaluate("E.1", (long i, long o, long r, double a) => new MyLoRALayer(i, o, r, a, useAlpha: false));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("output for a (3, ").And.Contain("with random A and B: max abs difference");
    }

    [Fact]
    public void LoRALayer_ListsTheParameters_WhenTheyAreNamedDifferently()
    {
        var outcome = Check.Evaluate("E.1", (long i, long o, long r, double a) => new MyLoRALayer(i, o, r, a, names: "ab"));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("missing A (4, 2), B (2, 3); unexpected a (4, 2), b (2, 3)");
    }

    // E.2 — LinearWithLoRA

    private sealed class MyLinearWithLoRA : nn.Module<Tensor, Tensor>
    {
        private readonly Linear linear;
        private readonly LoRALayer lora;
        private readonly bool addLinear;

        public MyLinearWithLoRA(Linear linear, long rank, double alpha, bool addLinear = true) : base(nameof(MyLinearWithLoRA))
        {
            this.linear = linear;
            lora = new LoRALayer(linear.in_features, linear.out_features, rank, alpha);
            this.addLinear = addLinear;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => addLinear ? linear.call(x) + lora.call(x) : lora.call(x);   // (…, out)
    }

    [Fact]
    public void LinearWithLoRA_Passes_ForLinearPlusLoRA()
    {
        var outcome = Check.Evaluate("E.2", (Linear linear, long r, double a) => new MyLinearWithLoRA(linear, r, a));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void LinearWithLoRA_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("E.2", (Func<Linear, long, double, nn.Module<Tensor, Tensor>>)((_, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("linear.call(x) + lora.call(x)");
    }

    [Fact]
    public void LinearWithLoRA_SaysTheOutputMustEqualTheLinears_WhenTheLinearIsLeftOut()
    {
        var outcome = Check.Evaluate("E.2", (Linear linear, long r, double a) => new MyLinearWithLoRA(linear, r, a, addLinear: false));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("Linear(6, 4) with LoRA rank 2, alpha 2: output of a freshly wrapped layer (must equal the Linear's own)");
    }

    // E.3 — trainable parameters after LoRA

    private static long TrainableAfterLoRA((int In, int Out)[] shapes, int rank) => shapes.Sum(s => (long)rank * (s.In + s.Out));

    [Fact]
    public void TrainableCount_Passes_ForRankTimesInPlusOutPerLayer()
    {
        var outcome = Check.Evaluate("E.3", TrainableAfterLoRA);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void TrainableCount_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("E.3", (Func<(int, int)[], int, long>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("A (in × rank) and B (rank × out)");
    }

    [Fact]
    public void TrainableCount_ShowsBothCounts_WhenTheFrozenWeightsAreCounted()
    {
        var outcome = Check.Evaluate("E.3", (Func<(int, int)[], int, long>)((shapes, r) =>
            TrainableAfterLoRA(shapes, r) + shapes.Sum(s => (long)s.Item1 * s.Item2 + s.Item2)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("trainable parameters of Linear layers (768, 768) with rank 16: got 615168, expected 24576");
    }

    // E.4 — LoRA on the 124M classifier

    [Fact]
    public void LoRAOn124M_Passes_ForTwelveBlocksPlusTheHead()
    {
        const long perBlock = 4 * 16 * (768 + 768) + 16 * (768 + 3072) + 16 * (3072 + 768);
        const long expected = 12 * perBlock + 16 * (768 + 2);

        Check.Evaluate("E.4", () => expected).Status.Should().Be("pass");
        expected.Should().Be(2_666_528);
    }

    [Fact]
    public void LoRAOn124M_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("E.4", (Func<long>)(() => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("plus the head 768 → 2");
    }

    [Fact]
    public void LoRAOn124M_ShowsBothCounts_WhenTheHeadIsLeftOut()
    {
        var outcome = Check.Evaluate("E.4", () => 2_654_208);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("2,654,208 is too low: the classifier's head (768 → 2) is a Linear too").And.NotContain("2,666,528");
    }
}
