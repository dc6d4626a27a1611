using LlmFromScratch.Generation;
using LlmFromScratch.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Generation;

public class SamplingTests
{
    // Probabilities without ties: sorted 0.45 (1), 0.35 (3), 0.10 (0), 0.06 (4), 0.04 (2);
    // mass before each in that order: 0, 0.45, 0.80, 0.90, 0.96.
    private static Tensor NucleusLogits() => tensor(new[] { 0.10f, 0.45f, 0.04f, 0.35f, 0.06f }).log().unsqueeze(0);

    private static long[] Kept(Tensor filtered)
    {
        using var finite = filtered.isfinite().squeeze(0);
        return Enumerable.Range(0, (int)finite.shape[0]).Where(i => finite[i].item<bool>()).Select(i => (long)i).ToArray();
    }

    [Fact]
    public void TopK_KeepsTheKLargestLogitsOfEachRow_AndMasksTheRest()
    {
        using var logits = tensor(new float[,] { { 1, 5, 3, 4, 2 }, { 9, 1, 8, 2, 3 } });

        using var filtered = Sampling.TopK(logits, 2);

        var ninf = float.NegativeInfinity;
        filtered.data<float>().ToArray().Should().Equal(ninf, 5, ninf, 4, ninf, 9, ninf, 8, ninf, ninf);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(50257)]
    public void TopK_KeepsEveryLogit_WhenKIsAtLeastTheVocabularySize(int k)
    {
        using var logits = tensor(new float[,] { { 1, 5, 3, 4, 2 } });

        using var filtered = Sampling.TopK(logits, k);

        Tensors.Identical(filtered, logits).Should().BeTrue();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void TopK_Throws_WhenKIsNotPositive(int k)
    {
        using var logits = zeros(1, 5);

        FluentActions.Invoking(() => Sampling.TopK(logits, k)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("k");
    }

    [Theory]
    [InlineData(0.30, new long[] { 1 })]
    [InlineData(0.45, new long[] { 1 })]
    [InlineData(0.60, new long[] { 1, 3 })]
    [InlineData(0.85, new long[] { 0, 1, 3 })]
    [InlineData(0.93, new long[] { 0, 1, 3, 4 })]
    [InlineData(1.00, new long[] { 0, 1, 2, 3, 4 })]
    public void TopP_KeepsTheSmallestSetOfMostLikelyTokensWhoseProbabilityReachesP(double p, long[] expected)
    {
        using var logits = NucleusLogits();

        using var filtered = Sampling.TopP(logits, p);

        Kept(filtered).Should().Equal(expected);
        using var finite = filtered.isfinite();
        using var keptLogits = logits.masked_select(finite);
        using var sameValues = filtered.masked_select(finite);
        Tensors.Identical(keptLogits, sameValues).Should().BeTrue("kept logits are left as they were");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void TopP_Throws_WhenPIsOutsideZeroToOne(double p)
    {
        using var logits = zeros(1, 5);

        FluentActions.Invoking(() => Sampling.TopP(logits, p)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("p");
    }

    [Fact]
    public void NextToken_WithTemperatureZero_IsTheArgmaxOfEachRow()
    {
        manual_seed(1);
        using var logits = randn(3, 50);

        using var next = Sampling.NextToken(logits, temperature: 0.0, topK: 3, topP: 0.5);

        using var argmax = logits.argmax(-1, keepdim: true);
        Tensors.Identical(next, argmax).Should().BeTrue();
        next.shape.Should().Equal(3, 1);
    }

    [Fact]
    public void NextToken_AsTemperatureApproachesZero_BecomesTheArgmax()
    {
        manual_seed(1);
        using var logits = randn(3, 50);
        using var top2 = logits.topk(2).values;
        using var gap = (top2.select(1, 0) - top2.select(1, 1)).min();
        gap.item<float>().Should().BeGreaterThan(1e-4f, "each row needs a winner at least 100 temperatures ahead");
        using var argmax = logits.argmax(-1, keepdim: true);

        for (var seed = 0; seed < 50; seed++)
        {
            using var generator = new Generator((ulong)seed);
            using var next = Sampling.NextToken(logits, temperature: 1e-6, generator: generator);
            Tensors.Identical(next, argmax).Should().BeTrue($"seed {seed}");
        }
    }

    [Fact]
    public void NextToken_WithTopK_NeverEmitsATokenOutsideTheKBest()
    {
        manual_seed(2);
        using var logits = randn(4, 50);
        using var best = logits.topk(5).indexes;                                     // (4, 5)
        var allowed = Enumerable.Range(0, 4).Select(r => best[r].data<long>().ToHashSet()).ToArray();
        var emitted = Enumerable.Range(0, 4).Select(_ => new HashSet<long>()).ToArray();

        for (var seed = 0; seed < 200; seed++)
        {
            using var generator = new Generator((ulong)seed);
            using var next = Sampling.NextToken(logits, temperature: 2.0, topK: 5, generator: generator);
            var ids = next.data<long>().ToArray();
            for (var r = 0; r < 4; r++) emitted[r].Add(ids[r]);
        }

        for (var r = 0; r < 4; r++)
        {
            emitted[r].Should().BeSubsetOf(allowed[r], $"row {r} may only emit its 5 best tokens");
            emitted[r].Should().HaveCount(5, "at temperature 2 every one of the 5 is drawn in 200 tries");
        }
    }

    [Fact]
    public void NextToken_WithTopP_DrawsFromTheWholeNucleusAndNothingElse()
    {
        using var logits = NucleusLogits();
        using var generator = new Generator(11);
        var counts = new Dictionary<long, int>();

        for (var draw = 0; draw < 300; draw++)
        {
            using var next = Sampling.NextToken(logits, temperature: 1.0, topP: 0.85, generator: generator);
            var id = next.item<long>();
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        counts.Keys.Order().Should().Equal(0L, 1L, 3L);
    }

    [Fact]
    public void NextToken_WithTheSameGeneratorSeed_DrawsTheSameTokens()
    {
        manual_seed(3);
        using var logits = randn(2, 50);
        long[] Draws(ulong seed)
        {
            using var generator = new Generator(seed);
            return Enumerable.Range(0, 20).SelectMany(_ =>
            {
                using var next = Sampling.NextToken(logits, temperature: 1.5, topK: 20, topP: 0.95, generator: generator);
                return next.data<long>().ToArray();
            }).ToArray();
        }

        Draws(7).Should().Equal(Draws(7));
        Draws(7).Should().NotEqual(Draws(8));
    }

    [Fact]
    public void NextToken_Throws_ForOptionsOutsideTheirRange()
    {
        using var logits = zeros(1, 5);

        FluentActions.Invoking(() => Sampling.NextToken(logits, temperature: -0.5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature");
        FluentActions.Invoking(() => Sampling.NextToken(logits, temperature: double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature");
        FluentActions.Invoking(() => Sampling.NextToken(logits, temperature: 1, topK: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("topK");
        FluentActions.Invoking(() => Sampling.NextToken(logits, temperature: 1, topP: 1.5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("topP");
        FluentActions.Invoking(() => Sampling.NextToken(zeros(5), temperature: 1)).Should().Throw<ArgumentException>().WithParameterName("logits");
    }
}
