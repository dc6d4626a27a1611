using LlmFromScratch.Exercises;
using LlmFromScratch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class Chapter05ExercisesTests
{
    // 5.1 — cross-entropy by hand

    private static Tensor CrossEntropy(Tensor logits, Tensor targets)
    {
        var logProbs = logits.log_softmax(-1);                                  // (b, t, vocab)
        var picked = logProbs.gather(-1, targets.unsqueeze(-1)).squeeze(-1);   // (b, t)
        return -picked.mean();                                                 // ()
    }

    [Fact]
    public void CrossEntropy_Passes_ForMeanNegativeLogProbabilityOfTheTargets()
    {
        var outcome = Check.Evaluate("5.1", CrossEntropy);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void CrossEntropy_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("5.1", (Func<Tensor, Tensor, Tensor>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("gather each target's log-probability");
    }

    [Fact]
    public void CrossEntropy_NamesTheCase_WhenTheSignIsForgotten()
    {
        var outcome = Check.Evaluate("5.1", (Func<Tensor, Tensor, Tensor>)((l, t) => -CrossEntropy(l, t)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("loss of (1, 1, 7) logits: max abs difference");
    }

    [Fact]
    public void CrossEntropy_CatchesOverflow_WhenExpIsTakenWithoutSubtractingTheMaximum()
    {
        var outcome = Check.Evaluate("5.1", (Func<Tensor, Tensor, Tensor>)((logits, targets) =>
        {
            var probs = logits.exp() / logits.exp().sum(-1, keepdim: true);
            return -probs.gather(-1, targets.unsqueeze(-1)).log().mean();
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("logits scaled by 100").And.Contain("got NaN");
    }

    // 5.2 — perplexity

    private static double Perplexity(Tensor logits, Tensor targets) => Math.Exp(CrossEntropy(logits, targets).item<float>());

    [Fact]
    public void Perplexity_Passes_ForExpOfTheLoss()
    {
        var outcome = Check.Evaluate("5.2", Perplexity);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Perplexity_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("5.2", (Func<Tensor, Tensor, double>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("Math.Exp");
    }

    [Fact]
    public void Perplexity_ShowsBothNumbers_WhenTheLossIsReturned()
    {
        var outcome = Check.Evaluate("5.2", (Func<Tensor, Tensor, double>)((l, t) => CrossEntropy(l, t).item<float>()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("perplexity of uniform logits over 50257 tokens").And.Contain("expected 50257");
    }

    // 5.3 — top-k

    private static Tensor TopK(Tensor logits, int k)
    {
        if (k >= logits.shape[^1]) return logits.clone();
        var (top, _) = logits.topk(k, dim: -1);                               // (b, k)
        var kth = top[.., (k - 1)..k];                                        // (b, 1)
        return logits.masked_fill(logits < kth, double.NegativeInfinity);     // (b, vocab)
    }

    [Fact]
    public void TopK_Passes_WhenLogitsBelowTheKthAreMinusInfinity()
    {
        var outcome = Check.Evaluate("5.3", TopK);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void TopK_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("5.3", (Func<Tensor, int, Tensor>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("k-th largest value");
    }

    [Fact]
    public void TopK_CountsTheKeptLogits_WhenTiesAreDropped()
    {
        // Keeping exactly the k indices topk returns drops a logit tied with the k-th.
        var outcome = Check.Evaluate("5.3", (Func<Tensor, int, Tensor>)((logits, k) =>
        {
            var k2 = Math.Min(k, (int)logits.shape[^1]);
            var (_, indices) = logits.topk(k2, dim: -1);
            var keep = zeros_like(logits, dtype: ScalarType.Bool).scatter(-1, indices, ones_like(indices, dtype: ScalarType.Bool));
            return logits.masked_fill(keep.logical_not(), double.NegativeInfinity);
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("top-2 of a row with a tie at the k-th value: row 0 keeps 2 logits, expected 3");
    }

    [Fact]
    public void TopK_ShowsTheElement_WhenDroppedLogitsAreZeroInsteadOfMinusInfinity()
    {
        var outcome = Check.Evaluate("5.3", (Func<Tensor, int, Tensor>)((logits, k) =>
        {
            var filtered = TopK(logits, k);
            return filtered.masked_fill(filtered.isinf(), 0);
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("top-3 of the book's next_token_logits: row 0 keeps 9 logits, expected 3; element [0, 1] is 0, expected −∞");
    }

    // 5.4 — temperature

    private static Tensor TemperatureProbabilities(Tensor logits, double temperature) =>
        temperature == 0
            ? nn.functional.one_hot(logits.argmax(-1), logits.shape[^1]).to(logits.dtype)   // (b, vocab)
            : softmax(logits / temperature, -1);                                             // (b, vocab)

    [Fact]
    public void Temperature_Passes_ForSoftmaxOfScaledLogits_AndOneHotAtZero()
    {
        var outcome = Check.Evaluate("5.4", TemperatureProbabilities);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Temperature_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("5.4", (Func<Tensor, double, Tensor>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("one-hot of argmax");
    }

    [Fact]
    public void Temperature_NamesTheTemperature_WhenItIsMultipliedInsteadOfDivided()
    {
        var outcome = Check.Evaluate("5.4", (Func<Tensor, double, Tensor>)((l, t) => t == 0 ? TemperatureProbabilities(l, 0) : softmax(l * t, -1)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("probabilities of the book's logits at temperature 0.1: max abs difference");
    }

    [Fact]
    public void Temperature_ReportsNaN_WhenZeroIsDividedBy()
    {
        var outcome = Check.Evaluate("5.4", (Func<Tensor, double, Tensor>)((l, t) => softmax(l / t, -1)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("at temperature 0:").And.Contain("got NaN");
    }

    // 5.5 — loss over a loader

    private static double CalcLossLoader(IReadOnlyList<(Tensor Inputs, Tensor Targets)> batches, nn.Module<Tensor, Tensor> model, int? numBatches)
    {
        if (batches.Count == 0) return double.NaN;
        var n = Math.Min(numBatches ?? batches.Count, batches.Count);
        using var _ = no_grad();
        var total = 0.0;
        foreach (var (inputs, targets) in batches.Take(n))
        {
            using var scope = NewDisposeScope();
            var logits = model.call(inputs);                                                    // (b, t, vocab)
            total += nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten()).item<float>();
        }
        return total / n;
    }

    [Fact]
    public void LossLoader_Passes_ForTheMeanOfBatchMeans()
    {
        var outcome = Check.Evaluate("5.5", CalcLossLoader);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void LossLoader_Passes_WhenItUsesTheLibrarysBatchLoss()
    {
        var outcome = Check.Evaluate("5.5", (Func<(Tensor, Tensor)[], nn.Module<Tensor, Tensor>, int?, double>)((batches, model, numBatches) =>
            batches.Length == 0
                ? double.NaN
                : batches.Take(numBatches ?? batches.Length).Average(b => Losses.CalcLossBatch(b.Item1, b.Item2, model, CPU).item<float>())));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void LossLoader_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("5.5", (Func<(Tensor, Tensor)[], nn.Module<Tensor, Tensor>, int?, double>)((_, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("average those batch means");
    }

    [Fact]
    public void LossLoader_NamesNumBatches_WhenItIsIgnored()
    {
        var outcome = Check.Evaluate("5.5", (Func<(Tensor, Tensor)[], nn.Module<Tensor, Tensor>, int?, double>)((b, m, _) => CalcLossLoader(b, m, null)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("with numBatches 2: got");
    }

    [Fact]
    public void LossLoader_ShowsTheBatches_WhenAllTokensAreAveragedTogether()
    {
        var outcome = Check.Evaluate("5.5", (Func<(Tensor, Tensor)[], nn.Module<Tensor, Tensor>, int?, double>)((batches, model, numBatches) =>
        {
            var taken = batches.Take(numBatches ?? batches.Length).ToArray();
            if (taken.Length == 0) return double.NaN;
            using var _ = no_grad();
            var logits = cat(taken.Select(b => model.call(b.Item1)).ToArray(), 0);            // (Σb, t, vocab)
            var targets = cat(taken.Select(b => b.Item2).ToArray(), 0);                       // (Σb, t)
            return nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten()).item<float>();
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("loss over 4 batches of (2, 2, 2, 1)");
    }

    // 5.6 — the loss of a uniform guess

    [Fact]
    public void UniformLoss_Passes_ForLogOfTheVocabularySize()
    {
        Check.Evaluate("5.6", () => Math.Log(50257)).Status.Should().Be("pass");
    }

    [Fact]
    public void UniformLoss_Passes_RoundedToThreeDecimals()
    {
        Check.Evaluate("5.6", () => 10.825).Status.Should().Be("pass");
    }

    [Fact]
    public void UniformLoss_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("5.6", (Func<double>)(() => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("probability 1/50257");
    }

    [Fact]
    public void UniformLoss_ShowsTheExpectedLoss_WhenThePerplexityIsGiven()
    {
        var outcome = Check.Evaluate("5.6", () => 50257);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("50257 is too high: that is the perplexity, exp of the loss").And.NotContain("10.8");
    }
}
