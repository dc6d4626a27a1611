using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Model;

public class ModelSizeTests
{
    [Fact]
    public void Gpt124M_CountsFromTheConfig_MatchTheBook()
    {
        var c = GptConfig.Gpt124M;

        ModelSize.ParameterCount(c).Should().Be(163_009_536);
        ModelSize.ParameterCountWithTiedHead(c).Should().Be(124_412_160);
        ModelSize.FeedForwardParameterCount(c).Should().Be(4_722_432);
        ModelSize.AttentionParameterCount(c).Should().Be(2_360_064);
        ModelSize.Megabytes(ModelSize.ParameterCount(c)).Should().BeApproximately(621.83, 0.005);
    }

    [Fact]
    public void LargerPresets_CountsFromTheConfig_MatchTheBook()
    {
        ModelSize.ParameterCount(GptConfig.Gpt355M).Should().Be(406_212_608);
        ModelSize.ParameterCount(GptConfig.Gpt774M).Should().Be(838_220_800);
        ModelSize.ParameterCount(GptConfig.Gpt1558M).Should().Be(1_637_792_000);
    }

    [Fact]
    public void QkvBias_AddsThreeBiasVectorsPerBlock()
    {
        var withBias = GptConfig.Gpt124M with { QkvBias = true };

        (ModelSize.ParameterCount(withBias) - ModelSize.ParameterCount(GptConfig.Gpt124M)).Should().Be(12 * 3 * 768);
    }

    [Fact]
    public void Formula_AgreesWithBuiltModules_ForTinyAndItsVariants()
    {
        foreach (var config in new[] { GptConfig.Tiny, GptConfig.Tiny with { QkvBias = true, NLayers = 3 } })
        {
            using var model = new GptModel(config);
            using var block = new TransformerBlock(config);
            using var ff = new FeedForward(config);

            ModelSize.CountParameters(model).Should().Be(ModelSize.ParameterCount(config));
            ModelSize.CountParameters(block).Should().Be(ModelSize.TransformerBlockParameterCount(config));
            ModelSize.CountParameters(ff).Should().Be(ModelSize.FeedForwardParameterCount(config));
        }
    }

    /// <summary>
    /// The one test that builds the real 124M model (about 650 MB, a few seconds): the counting formula must
    /// hold for it, and with the book's seed and build order greedy generation must reproduce the book's
    /// untrained output "Hello, I am Featureiman Byeswickattribute argue".
    /// </summary>
    [Fact]
    public void Gpt124M_Built_HasTheBooksParameterCount_AndReproducesTheBooksGreedyTokens()
    {
        manual_seed(123);
        using var model = new GptModel(GptConfig.Gpt124M);
        model.eval();
        using var helloIAm = tensor(new long[] { 15496, 11, 314, 716 }).unsqueeze(0);

        using var output = GenerateTextSimple.Generate(model, helloIAm, maxNewTokens: 6, contextSize: 1024);

        ModelSize.CountParameters(model).Should().Be(163_009_536);
        output.data<long>().ToArray().Should().Equal(15496, 11, 314, 716, 27018, 24086, 47843, 30961, 42348, 7267);
    }
}
