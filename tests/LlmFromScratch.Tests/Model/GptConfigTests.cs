using LlmFromScratch.Model;

namespace LlmFromScratch.Tests.Model;

public class GptConfigTests
{
    [Fact]
    public void Gpt124M_IsTheBooksConfig()
    {
        var c = GptConfig.Gpt124M;

        (c.VocabSize, c.ContextLength, c.EmbDim, c.NHeads, c.NLayers, c.DropRate, c.QkvBias)
            .Should().Be((50257, 1024, 768, 12, 12, 0.1, false));
        c.UseSdpa.Should().BeTrue();
        c.HeadDim.Should().Be(64);
    }

    [Fact]
    public void LargerPresets_ChangeOnlyWidthDepthAndHeads()
    {
        (GptConfig.Gpt355M.EmbDim, GptConfig.Gpt355M.NLayers, GptConfig.Gpt355M.NHeads).Should().Be((1024, 24, 16));
        (GptConfig.Gpt774M.EmbDim, GptConfig.Gpt774M.NLayers, GptConfig.Gpt774M.NHeads).Should().Be((1280, 36, 20));
        (GptConfig.Gpt1558M.EmbDim, GptConfig.Gpt1558M.NLayers, GptConfig.Gpt1558M.NHeads).Should().Be((1600, 48, 25));
        GptConfig.Gpt1558M.Should().Be(GptConfig.Gpt124M with { EmbDim = 1600, NLayers = 48, NHeads = 25 });
    }

    [Fact]
    public void Tiny_IsSmallButUsesGpt2sVocabulary()
    {
        var c = GptConfig.Tiny;

        (c.VocabSize, c.ContextLength, c.EmbDim, c.NHeads, c.NLayers).Should().Be((50257, 32, 32, 2, 2));
    }

    [Fact]
    public void With_DerivesAVariant_LeavingTheOriginalUnchanged()
    {
        var ch05 = GptConfig.Gpt124M with { ContextLength = 256 };

        ch05.ContextLength.Should().Be(256);
        ch05.EmbDim.Should().Be(768);
        GptConfig.Gpt124M.ContextLength.Should().Be(1024);
    }

    [Theory]
    [InlineData(0, 32, 32, 2, 2, "VocabSize", "0")]
    [InlineData(100, -1, 32, 2, 2, "ContextLength", "-1")]
    [InlineData(100, 32, 0, 2, 2, "EmbDim", "0")]
    [InlineData(100, 32, 32, 0, 2, "NHeads", "0")]
    [InlineData(100, 32, 32, 2, -3, "NLayers", "-3")]
    public void Constructor_Throws_NamingTheField_WhenASizeIsNotPositive(
        int vocab, int context, int emb, int heads, int layers, string field, string value)
    {
        var act = () => new GptConfig(vocab, context, emb, heads, layers, 0.1, qkvBias: false);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(field).WithMessage($"*{field} must be positive, got {value}*");
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Constructor_Throws_WhenDropRateIsOutsideZeroToOne(double dropRate)
    {
        var act = () => new GptConfig(100, 32, 32, 2, 2, dropRate, qkvBias: false);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("DropRate").WithMessage("*DropRate must be in [0, 1)*");
    }

    [Fact]
    public void Constructor_Throws_WhenEmbDimIsNotDivisibleByHeads()
    {
        var act = () => new GptConfig(100, 32, 30, 4, 2, 0.1, qkvBias: false);

        act.Should().Throw<ArgumentException>().WithParameterName("EmbDim").WithMessage("EmbDim 30 must be divisible by NHeads 4*");
    }

    [Fact]
    public void With_ChecksEachValue_AsItIsSet()
    {
        var act = () => GptConfig.Gpt124M with { ContextLength = 0 };

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ContextLength");
    }

    [Fact]
    public void Validate_CatchesAHeadCountThatAWithExpressionLeftIndivisible()
    {
        var bad = GptConfig.Tiny with { NHeads = 3 };

        var act = () => bad.Validate();

        act.Should().Throw<ArgumentException>().WithMessage("EmbDim 32 must be divisible by NHeads 3*");
    }
}
