using LlmFromScratch.Exercises;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class Chapter01ExercisesTests
{
    // 1.1 — next-token examples

    private static (int[] Context, int Next)[] Examples(int[] tokenIds, int contextSize)
    {
        var examples = new List<(int[], int)>();
        for (var i = 1; i < tokenIds.Length; i++)
            examples.Add((tokenIds[Math.Max(0, i - contextSize)..i], tokenIds[i]));
        return examples.ToArray();
    }

    [Fact]
    public void NextTokenExamples_Pass_WhenEveryPositionAfterTheFirstIsOneExample()
    {
        var outcome = Check.Evaluate("1.1", Examples);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void NextTokenExamples_Fail_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("1.1", (Func<int[], int, (int[], int)[]>)((_, _) => throw new NotImplementedException("Exercise 1.1")));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("up to contextSize tokens just before it");
    }

    [Fact]
    public void NextTokenExamples_NameTheExampleAndLength_WhenTheContextIsNotCut()
    {
        var outcome = Check.Evaluate("1.1", (Func<int[], int, (int[], int)[]>)((ids, _) =>
            Enumerable.Range(1, Math.Max(0, ids.Length - 1)).Select(i => (ids[..i], ids[i])).ToArray()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("with contextSize 1: contexts, example 1: 2 items, expected 1 (got [4, 8], expected [8])");
    }

    [Fact]
    public void NextTokenExamples_SayHowManyAreExpected_WhenTheLastTokenIsMissed()
    {
        var outcome = Check.Evaluate("1.1", (Func<int[], int, (int[], int)[]>)((ids, k) => Examples(ids[..^1], k)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("4 examples, expected 5 (one per token after the first)");
    }

    // 1.2 — how many predictions

    private static long Predictions(int n, int k) => n <= k ? 0 : (long)(n - k) * k;

    [Fact]
    public void PredictionCount_Passes_ForWindowsTimesTokensPerWindow()
    {
        Check.Evaluate("1.2", Predictions).Status.Should().Be("pass");
    }

    [Fact]
    public void PredictionCount_Passes_AsAnInt()
    {
        Check.Evaluate("1.2", (Func<int, int, int>)((n, k) => (int)Predictions(n, k))).Status.Should().Be("pass");
    }

    [Fact]
    public void PredictionCount_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("1.2", (Func<int, int, long>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("each window holds k predictions");
    }

    [Fact]
    public void PredictionCount_ShowsTheCase_WhenTheAnswerIgnoresTheWindows()
    {
        var outcome = Check.Evaluate("1.2", (Func<int, int, long>)((n, _) => n - 1));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("predictions for n = 4 tokens, k = 4: got 3, expected 0");
    }

    [Fact]
    public void PredictionCount_ShowsTheCase_WhenOneWindowTooManyIsCounted()
    {
        var outcome = Check.Evaluate("1.2", (Func<int, int, long>)((n, k) => (long)Math.Max(0, n - k + 1) * k));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("n = 5 tokens, k = 4: got 8, expected 4");
    }

    // 1.3 — the causal mask

    [Fact]
    public void CausalMask_Passes_ForTheUpperTriangleAboveTheDiagonal()
    {
        var outcome = Check.Evaluate("1.3", (Func<int, Tensor>)(t => ones(t, t).triu(1).to(ScalarType.Bool)));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void CausalMask_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("1.3", (Func<int, Tensor>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("strictly above the diagonal");
    }

    [Fact]
    public void CausalMask_NamesTheFirstWrongElement_WhenTheLowerTriangleIsMasked()
    {
        var outcome = Check.Evaluate("1.3", (Func<int, Tensor>)(t => tril(ones(t, t, dtype: ScalarType.Bool), -1)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("causal mask for t = 2").And.Contain("first wrong element at [0, 1]: got 0, expected 1");
    }

    [Fact]
    public void CausalMask_NamesTheDtype_WhenTheMaskIsFloat()
    {
        var outcome = Check.Evaluate("1.3", (Func<int, Tensor>)(t => ones(t, t).triu(1)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("dtype Float32, expected Bool");
    }

    // 1.4 — causal attention weights

    private static Tensor CausalWeights(Tensor scores)
    {
        var t = scores.shape[^1];
        var future = ones(t, t, dtype: ScalarType.Bool).triu(1);
        return softmax(scores.masked_fill(future, double.NegativeInfinity), -1);
    }

    [Fact]
    public void CausalWeights_Pass_WhenLaterKeysAreMaskedBeforeTheSoftmax()
    {
        var outcome = Check.Evaluate("1.4", CausalWeights);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void CausalWeights_Fail_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("1.4", (Func<Tensor, Tensor>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("before the softmax");
    }

    [Fact]
    public void CausalWeights_ReportTheDifference_WhenMaskedAfterTheSoftmax()
    {
        var outcome = Check.Evaluate("1.4", (Func<Tensor, Tensor>)(scores =>
        {
            var t = scores.shape[^1];
            return softmax(scores, -1).masked_fill(ones(t, t, dtype: ScalarType.Bool).triu(1), 0);
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("causal weights of a 4x4 score tensor: max abs difference").And.Contain("first wrong element at [");
    }
}
