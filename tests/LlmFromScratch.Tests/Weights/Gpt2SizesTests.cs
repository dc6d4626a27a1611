using LlmFromScratch.Data;
using LlmFromScratch.Weights;

namespace LlmFromScratch.Tests.Weights;

public class Gpt2SizesTests
{
    [Fact]
    public void All_ListsTheBooksFourConfigs()
    {
        Gpt2Sizes.All.Select(s => (s.Name, s.EmbDim, s.NLayers, s.NHeads)).Should().Equal(
            ("gpt2", 768, 12, 12), ("gpt2-medium", 1024, 24, 16), ("gpt2-large", 1280, 36, 20), ("gpt2-xl", 1600, 48, 25));
        Gpt2Sizes.All.Should().OnlyContain(s => s.VocabSize == 50257 && s.ContextLength == 1024);
    }

    [Fact]
    public void Get_GivesTheHuggingFaceUrl_AndAPathInTheDataCache()
    {
        var size = Gpt2Sizes.Get("gpt2-medium");

        size.Url.Should().Be("https://huggingface.co/openai-community/gpt2-medium/resolve/main/model.safetensors");
        size.CachePath.Should().Be(Path.Combine(DataSets.CacheDirectory, "gpt2-weights", "gpt2-medium", "model.safetensors"));
    }

    [Theory]
    [InlineData("gpt2", "gpt2")]
    [InlineData("GPT2-XL", "gpt2-xl")]
    [InlineData("gpt2-small (124M)", "gpt2")]
    [InlineData("gpt2-small", "gpt2")]
    [InlineData("774M", "gpt2-large")]
    public void Get_AcceptsTheBooksLabelsAndParameterCounts(string name, string expected)
    {
        Gpt2Sizes.Get(name).Name.Should().Be(expected);
    }

    [Fact]
    public void Get_Throws_ListingTheSizes_ForAnUnknownName()
    {
        var act = () => Gpt2Sizes.Get("gpt3");

        act.Should().Throw<ArgumentException>().WithParameterName("name").WithMessage("*'gpt3'*gpt2 (gpt2-small (124M))*gpt2-xl*");
    }
}
