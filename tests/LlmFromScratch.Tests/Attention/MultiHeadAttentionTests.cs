using LlmFromScratch.Attention;
using TorchSharp;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Attention;

public class MultiHeadAttentionTests
{
    private static readonly float[] BookContextRows =
        [0.3190f, 0.4858f, 0.2943f, 0.3897f, 0.2856f, 0.3593f, 0.2693f, 0.3873f, 0.2639f, 0.3928f, 0.2575f, 0.4028f];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_WithSeed123_ReproducesTheBooksContextVectors(bool useSdpa)
    {
        using var batch = Batch();
        manual_seed(123);
        using var mha = new MultiHeadAttention(3, 2, contextLength: 6, dropout: 0.0, numHeads: 2, useSdpa: useSdpa);

        using var context = mha.call(batch);

        context.shape.Should().Equal(2, 6, 2);
        Floats(context).Should().Equal([.. BookContextRows, .. BookContextRows], FourDecimals);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_ReturnsBatchByTokensByDOut(bool useSdpa)
    {
        using var mha = new MultiHeadAttention(8, 12, contextLength: 10, dropout: 0.1, numHeads: 3, useSdpa: useSdpa);
        using var x = rand(4, 7, 8);

        using var y = mha.call(x);

        y.shape.Should().Equal(4, 7, 12);
    }

    [Fact]
    public void Sdpa_EqualsExplicitAttention_WhenDropoutIsZero()
    {
        var (sdpa, explicitPath) = TwinModules(dropout: 0.0, qkvBias: true);
        using var x = randn(3, 9, 16);

        using var fused = sdpa.call(x);     // training mode, but p = 0
        using var manual = explicitPath.call(x);

        Floats(fused).Should().Equal(Floats(manual), (a, e) => Math.Abs(a - e) < 1e-5f);
    }

    [Fact]
    public void EvalMode_SwitchesDropoutOff_OnBothPaths()
    {
        var (sdpa, explicitPath) = TwinModules(dropout: 0.5, qkvBias: false);
        sdpa.eval();
        explicitPath.eval();
        using var x = randn(2, 9, 16);

        using var first = sdpa.call(x);
        using var second = sdpa.call(x);
        using var manual = explicitPath.call(x);

        Floats(first).Should().Equal(Floats(second));
        Floats(first).Should().Equal(Floats(manual), (a, e) => Math.Abs(a - e) < 1e-5f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrainingMode_DropsTheExpectedFractionOfAttentionWeights(bool useSdpa)
    {
        // With one-hot inputs, identity value and output projections, the output *is* the (dropped-out)
        // attention-weight matrix, so dropout becomes visible on either path.
        const int t = 16, batch = 64;
        const double p = 0.3;
        manual_seed(42);
        using var mha = new MultiHeadAttention(t, t, t, p, numHeads: 1, useSdpa: useSdpa);
        var sd = mha.state_dict();
        using (no_grad())
        {
            sd["W_value.weight"].copy_(eye(t));
            sd["out_proj.weight"].copy_(eye(t));
            sd["out_proj.bias"].zero_();
        }
        using var x = eye(t).expand(batch, t, t).contiguous();

        using var weights = mha.call(x); // (batch, t, t)

        using var allowed = ones(t, t).tril().@bool().expand(batch, t, t);
        var dropped = weights.eq(0).logical_and(allowed).sum().item<long>() / (double)allowed.sum().item<long>();
        dropped.Should().BeApproximately(p, 0.03);
        // Kept weights are scaled by 1 / (1 − p), so each row still sums to 1 on average.
        weights.sum(-1).mean().item<float>().Should().BeApproximately(1f, 0.05f);
        weights.triu(1).abs().max().item<float>().Should().Be(0f, "no weight may reach a future token");
    }

    [Fact]
    public void StateDict_HasTheBooksKeys_AndNoMask()
    {
        using var mha = new MultiHeadAttention(4, 4, contextLength: 8, dropout: 0.0, numHeads: 2, qkvBias: true);

        mha.state_dict().Keys.Should().Equal(
            "W_query.weight", "W_query.bias", "W_key.weight", "W_key.bias", "W_value.weight", "W_value.bias",
            "out_proj.weight", "out_proj.bias");
    }

    [Fact]
    public void Constructor_Throws_WhenDOutIsNotDivisibleByNumHeads()
    {
        var act = () => new MultiHeadAttention(4, 10, contextLength: 8, dropout: 0.0, numHeads: 3);

        act.Should().Throw<ArgumentException>().WithParameterName("dOut").WithMessage("dOut 10 must be divisible by numHeads 3*");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    public void Constructor_Throws_WhenDropoutIsOutsideZeroToOne(double dropout)
    {
        var act = () => new MultiHeadAttention(4, 4, contextLength: 8, dropout: dropout, numHeads: 2);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("dropout");
    }

    [Fact]
    public void Forward_Throws_WhenSequenceIsLongerThanTheContext()
    {
        using var mha = new MultiHeadAttention(4, 4, contextLength: 8, dropout: 0.0, numHeads: 2);
        using var x = rand(1, 9, 4);

        var act = () => mha.call(x);

        act.Should().Throw<ArgumentException>().WithMessage("sequence length 9 exceeds ContextLength 8*");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardWithCache_FedInPieces_EqualsOneFullForward(bool useSdpa)
    {
        manual_seed(7);
        using var mha = new MultiHeadAttention(16, 16, contextLength: 12, dropout: 0.2, numHeads: 4, useSdpa: useSdpa);
        mha.eval();
        using var x = randn(2, 12, 16);
        using var full = mha.call(x);
        using var cache = new LayerKvCache(12);

        // Pieces of 1, 4, 1 and 6 tokens: a single token, a chunk after a cached prefix, and a fill to capacity.
        var pieces = new List<Tensor>();
        foreach (var (start, length) in new[] { (0, 1), (1, 4), (5, 1), (6, 6) })
            pieces.Add(mha.forward(x[.., start..(start + length)], cache));
        using var stitched = cat(pieces, dim: 1);

        cache.Length.Should().Be(12);
        Floats(stitched).Should().Equal(Floats(full), (a, e) => Math.Abs(a - e) < 1e-5f);
    }

    [Fact]
    public void ForwardWithCache_Throws_WhenCachedPlusNewExceedTheContext()
    {
        using var mha = new MultiHeadAttention(4, 4, contextLength: 8, dropout: 0.0, numHeads: 2);
        using var cache = new LayerKvCache(8);
        using var first = mha.forward(rand(1, 6, 4), cache);

        var act = () => mha.forward(rand(1, 3, 4), cache);

        act.Should().Throw<ArgumentException>().WithMessage("sequence length 9 exceeds ContextLength 8*");
    }

    [Fact]
    public void To_MovesTheNonPersistentMaskAlong()
    {
        using var mha = new MultiHeadAttention(4, 4, contextLength: 8, dropout: 0.0, numHeads: 2);

        mha.to(META);

        CausalAttentionTests.MaskOf(mha).device_type.Should().Be(DeviceType.META);
    }

    /// <summary>Two modules with identical weights, one per attention path.</summary>
    private static (MultiHeadAttention Sdpa, MultiHeadAttention Explicit) TwinModules(double dropout, bool qkvBias)
    {
        manual_seed(11);
        var sdpa = new MultiHeadAttention(16, 16, contextLength: 12, dropout, numHeads: 4, qkvBias, useSdpa: true);
        manual_seed(11);
        var explicitPath = new MultiHeadAttention(16, 16, contextLength: 12, dropout, numHeads: 4, qkvBias, useSdpa: false);
        return (sdpa, explicitPath);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Forward_InBFloat16_StaysCloseToFloat32_OnBothPaths(bool useSdpa)
    {
        manual_seed(31);
        using var mha = new MultiHeadAttention(16, 16, contextLength: 12, dropout: 0.0, numHeads: 4, useSdpa: useSdpa);
        using var x = randn(2, 7, 16);
        using var exact = mha.call(x);

        mha.ComputeDtype = ScalarType.BFloat16;
        using var mixed = mha.call(x);

        mixed.dtype.Should().Be(ScalarType.Float32);
        (mixed - exact).abs().max().item<float>().Should().BeGreaterThan(0f).And.BeLessThan(0.05f);
    }

    [Fact]
    public void ComputeDtype_Throws_ForFloat64()
    {
        using var mha = new MultiHeadAttention(8, 8, contextLength: 4, dropout: 0.0, numHeads: 2);

        var act = () => mha.ComputeDtype = ScalarType.Float64;

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ComputeDtype");
    }
}
