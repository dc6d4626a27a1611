using LlmFromScratch.Attention;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

public class LayerKvCacheTests
{
    [Fact]
    public void Append_ReturnsEverythingCachedSoFar_InOrder()
    {
        using var cache = new LayerKvCache(capacity: 5);
        using var k1 = randn(2, 3, 2, 4);
        using var v1 = randn(2, 3, 2, 4);
        using var k2 = randn(2, 3, 1, 4);
        using var v2 = randn(2, 3, 1, 4);

        cache.Append(k1, v1);
        var (keys, values) = cache.Append(k2, v2);

        cache.Length.Should().Be(3);
        keys.shape.Should().Equal(2, 3, 3, 4);
        Floats(keys).Should().Equal(Floats(cat([k1, k2], dim: 2)));
        Floats(values).Should().Equal(Floats(cat([v1, v2], dim: 2)));
    }

    [Fact]
    public void Reset_StartsAgainFromPositionZero()
    {
        using var cache = new LayerKvCache(capacity: 4);
        cache.Append(randn(1, 2, 3, 4), randn(1, 2, 3, 4));
        using var k = randn(1, 2, 2, 4);

        cache.Reset();
        var (keys, _) = cache.Append(k, k);

        cache.Length.Should().Be(2);
        Floats(keys).Should().Equal(Floats(k));
    }

    [Fact]
    public void Append_Throws_WhenCapacityWouldBeExceeded()
    {
        using var cache = new LayerKvCache(capacity: 4);
        cache.Append(randn(1, 2, 3, 4), randn(1, 2, 3, 4));

        var act = () => cache.Append(randn(1, 2, 2, 4), randn(1, 2, 2, 4));

        act.Should().Throw<ArgumentException>().WithMessage("appending 2 positions to 3 cached exceeds the cache capacity 4*");
    }

    [Fact]
    public void Append_Throws_WhenShapesDoNotMatchTheCache()
    {
        using var cache = new LayerKvCache(capacity: 4);
        cache.Append(randn(1, 2, 1, 4), randn(1, 2, 1, 4));

        var act = () => cache.Append(randn(3, 2, 1, 4), randn(3, 2, 1, 4));

        act.Should().Throw<ArgumentException>().WithParameterName("keys");
    }
}
