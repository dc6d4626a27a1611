using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Generation;

public class KvCacheSessionTests
{
    [Fact]
    public void NextTokenLogits_EqualTheUncachedLastPositionLogits_AtEveryStep_IncludingPastTheWindow()
    {
        manual_seed(3);
        using var model = new GptModel(GptConfig.Tiny with { ContextLength = 8 });
        model.eval();
        using var _ = no_grad();
        using var sequence = randint(0, 50257, [1, 14]);
        using var session = new KvCacheSession(model, contextSize: 8);

        for (var n = 3; n <= 14; n++)
        {
            using var cached = session.NextTokenLogits(sequence[.., ..n]);
            using var window = sequence[.., Math.Max(0, n - 8)..n];
            using var uncached = model.call(window)[.., -1];

            Floats(cached).Should().Equal(Floats(uncached), (a, e) => Math.Abs(a - e) < 1e-4f, $"step with {n} tokens");
        }
        // Lengths 9…14 no longer fit the 8-token window: each recomputed it.
        session.Recomputations.Should().Be(6);
    }

    [Fact]
    public void Constructor_Throws_WhenContextSizeExceedsTheModelsContext()
    {
        using var model = new GptModel(GptConfig.Tiny);

        var act = () => new KvCacheSession(model, contextSize: 33);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("contextSize");
    }
}
