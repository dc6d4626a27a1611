using LlmFromScratch.Attention;
using LlmFromScratch.Exercises;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Tests.Exercises;

public class Chapter03ExercisesTests
{
    // 3.1 — attention weights of one query

    private static Tensor AttentionWeights(Tensor inputs, int queryIndex) => softmax(inputs.matmul(inputs[queryIndex]), dim: 0);

    [Fact]
    public void AttentionWeights_Pass_ForSoftmaxOfDotProducts()
    {
        var outcome = Check.Evaluate("3.1", AttentionWeights);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void AttentionWeights_Pass_WhenScoredOneTokenAtATime()
    {
        var outcome = Check.Evaluate("3.1", (Func<Tensor, int, Tensor>)((inputs, q) =>
        {
            var scores = empty(inputs.shape[0]);
            for (var i = 0; i < inputs.shape[0]; i++) scores[i] = dot(inputs[i], inputs[q]);
            return softmax(scores, dim: 0);
        }));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void AttentionWeights_Fail_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("3.1", (Func<Tensor, int, Tensor>)((_, _) => throw new NotImplementedException("Exercise 3.1")));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("softmax over the tokens (dim: 0)");
    }

    [Fact]
    public void AttentionWeights_ReportTheNaN_WhenANaiveSoftmaxOverflows()
    {
        var outcome = Check.Evaluate("3.1", (Func<Tensor, int, Tensor>)((inputs, q) =>
        {
            var scores = inputs.matmul(inputs[q]);
            return scores.exp() / scores.exp().sum();
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("five 8-d tokens with large values").And.Contain("got NaN at [");
    }

    [Fact]
    public void AttentionWeights_ReportTheDifference_WhenTheScoresAreScaled()
    {
        var outcome = Check.Evaluate("3.1", (Func<Tensor, int, Tensor>)((inputs, q) =>
            softmax(inputs.matmul(inputs[q]) / Math.Sqrt(inputs.shape[1]), dim: 0)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("attention weights of the book's six 3-d inputs, query 1 (\"journey\"): max abs difference");
    }

    // 3.2 — causal attention forward

    private static Tensor CausalAttentionForward(Tensor x, Tensor wQuery, Tensor wKey, Tensor wValue)
    {
        var queries = x.matmul(wQuery.T);                  // (b, t, dOut)
        var keys = x.matmul(wKey.T);
        var values = x.matmul(wValue.T);
        var scores = queries.matmul(keys.transpose(1, 2)); // (b, t, t)
        var t = x.shape[1];
        var future = ones(t, t, dtype: ScalarType.Bool).triu(1);
        var weights = softmax(scores.masked_fill(future, double.NegativeInfinity) / Math.Sqrt(keys.shape[^1]), dim: -1);
        return weights.matmul(values);                     // (b, t, dOut)
    }

    [Fact]
    public void CausalAttention_Passes_ForTheBooksComputation()
    {
        var outcome = Check.Evaluate("3.2", CausalAttentionForward);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void CausalAttention_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("3.2", (Func<Tensor, Tensor, Tensor, Tensor, Tensor>)((_, _, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("a Linear's weight is (dOut, dIn)");
    }

    [Fact]
    public void CausalAttention_ReportsTheDifference_WithoutTheMask()
    {
        var outcome = Check.Evaluate("3.2", (Func<Tensor, Tensor, Tensor, Tensor, Tensor>)((x, wq, wk, wv) =>
        {
            var scores = x.matmul(wq.T).matmul(x.matmul(wk.T).transpose(1, 2));
            return softmax(scores / Math.Sqrt(wk.shape[0]), dim: -1).matmul(x.matmul(wv.T));
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("causal attention of a (2, 6, 3) batch, dOut 2: max abs difference").And.Contain("first wrong element at [0, 0, ");
    }

    [Fact]
    public void CausalAttention_ReportsTheDifference_WhenScaledByTheInputSize()
    {
        var outcome = Check.Evaluate("3.2", (Func<Tensor, Tensor, Tensor, Tensor, Tensor>)((x, wq, wk, wv) =>
            ScaledBy(x, wq, wk, wv, Math.Sqrt(x.shape[^1]))));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("causal attention of a (2, 6, 3) batch, dOut 2: max abs difference");
    }

    private static Tensor ScaledBy(Tensor x, Tensor wq, Tensor wk, Tensor wv, double divisor)
    {
        var t = x.shape[1];
        var scores = x.matmul(wq.T).matmul(x.matmul(wk.T).transpose(1, 2))
            .masked_fill(ones(t, t, dtype: ScalarType.Bool).triu(1), double.NegativeInfinity);
        return softmax(scores / divisor, dim: -1).matmul(x.matmul(wv.T));
    }

    // 3.3 — multi-head attention module

    private sealed class TestMultiHeadAttention : Module<Tensor, Tensor>
    {
        private readonly Linear W_query;
        private readonly Linear W_key;
        private readonly Linear W_value;
        private readonly Linear out_proj;
        private readonly int _heads;
        private readonly bool _transposeHeads;

        public TestMultiHeadAttention(int dIn, int dOut, int heads, bool transposeHeads = true, bool register = true) : base("Mha")
        {
            (W_query, W_key, W_value) = (Linear(dIn, dOut, hasBias: false), Linear(dIn, dOut, hasBias: false), Linear(dIn, dOut, hasBias: false));
            out_proj = Linear(dOut, dOut);
            (_heads, _transposeHeads) = (heads, transposeHeads);
            if (register) RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var (b, t, dOut) = (x.shape[0], x.shape[1], W_query.weight!.shape[0]);
            var headDim = dOut / _heads;
            Tensor Split(Tensor p) => _transposeHeads
                ? p.view(b, t, _heads, headDim).transpose(1, 2)   // (b, heads, t, headDim)
                : p.view(b, _heads, t, headDim);                  // the slip: heads cut out of the token axis
            var (q, k, v) = (Split(W_query.call(x)), Split(W_key.call(x)), Split(W_value.call(x)));
            var scores = q.matmul(k.transpose(2, 3)).masked_fill(ones(t, t, dtype: ScalarType.Bool).triu(1), double.NegativeInfinity);
            var context = softmax(scores / Math.Sqrt(headDim), dim: -1).matmul(v);   // (b, heads, t, headDim)
            return out_proj.call(context.transpose(1, 2).reshape(b, t, dOut));
        }
    }

    [Fact]
    public void MultiHeadAttention_Passes_ForOneProjectionSplitIntoHeads()
    {
        var outcome = Check.Evaluate("3.3", (int dIn, int dOut, int context, int heads) => new TestMultiHeadAttention(dIn, dOut, heads));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void MultiHeadAttention_Passes_ForTheLibrarysModule()
    {
        var outcome = Check.Evaluate("3.3", (int dIn, int dOut, int context, int heads) => new MultiHeadAttention(dIn, dOut, context, 0.1, heads));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void MultiHeadAttention_Fails_WithTheHint_WhenTheConstructorIsNotImplemented()
    {
        var outcome = Check.Evaluate("3.3", (Func<int, int, int, int, Module<Tensor, Tensor>>)((_, _, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("transpose to (b, numHeads, t, headDim)");
    }

    [Fact]
    public void MultiHeadAttention_ReportsTheDifference_WhenHeadsAreViewedWithoutTranspose()
    {
        var outcome = Check.Evaluate("3.3", (int dIn, int dOut, int context, int heads) => new TestMultiHeadAttention(dIn, dOut, heads, transposeHeads: false));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("MultiHeadAttention(dIn 3, dOut 2, contextLength 6, 2 heads) on a (2, 6, 3) batch (against the library's explicit path): max abs difference");
    }

    [Fact]
    public void MultiHeadAttention_ListsMissingAndUnexpectedParameters_WhenFieldsAreNamedDifferently()
    {
        var outcome = Check.Evaluate("3.3", (int dIn, int dOut, int context, int heads) => Sequential(("proj", Linear(dIn, dOut))));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("missing W_query.weight (2, 3), W_key.weight (2, 3), W_value.weight (2, 3), out_proj.weight (2, 2), out_proj.bias (2)")
            .And.Contain("unexpected proj.weight (2, 3), proj.bias (2)");
    }

    [Fact]
    public void MultiHeadAttention_AsksForRegisterComponents_WhenTheModuleHasNoParameters()
    {
        var outcome = Check.Evaluate("3.3", (int dIn, int dOut, int context, int heads) => new TestMultiHeadAttention(dIn, dOut, heads, register: false));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("your module has no parameters (does its constructor end with RegisterComponents()?)");
    }

    [Fact]
    public void MultiHeadAttention_ExplainsTheLayout_WhenAWeightIsTransposed()
    {
        var outcome = Check.Evaluate("3.3", (int dIn, int dOut, int context, int heads) =>
            Sequential(("W_query", Linear(dOut, dIn, hasBias: false)), ("W_key", Linear(dIn, dOut, hasBias: false)),
                       ("W_value", Linear(dIn, dOut, hasBias: false)), ("out_proj", Linear(dOut, dOut))));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("parameter W_query.weight has shape (3, 2), expected (2, 3) (a Linear(in, out) stores its weight as (out, in))");
    }

    // 3.4 — parameters of GPT-2 small's attention

    [Fact]
    public void AttentionParameterCount_Passes_ForFourProjectionsAndOneBias()
    {
        Check.Evaluate("3.4", () => 4L * 768 * 768 + 768).Status.Should().Be("pass");
    }

    [Fact]
    public void AttentionParameterCount_Passes_ForTheNumber()
    {
        Check.Evaluate("3.4", () => 2_360_064).Status.Should().Be("pass");
    }

    [Fact]
    public void AttentionParameterCount_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("3.4", (Func<long>)(() => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("does the number of heads change the count?");
    }

    [Fact]
    public void AttentionParameterCount_NamesTheSlip_WhenQkvBiasesAreCounted()
    {
        var outcome = Check.Evaluate("3.4", () => 4L * (768 * 768 + 768));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("2,362,368 is too high: that includes biases for W_query, W_key and W_value, but qkvBias is false")
            .And.NotContain("2,360,064");
    }

    [Fact]
    public void AttentionParameterCount_SaysTooLow_ForAnUnrecognisedCount()
    {
        var outcome = Check.Evaluate("3.4", () => 12L * 64 * 64);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("49,152 is too low. Hint:");
    }
}
