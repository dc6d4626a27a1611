using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Generation;

public class GenerateTextSimpleTests
{
    private static GptModel TinyModel(int seed = 123)
    {
        manual_seed(seed);
        var model = new GptModel(GptConfig.Tiny);
        model.eval();
        return model;
    }

    private static Tensor Prompt(int length, int seed = 1)
    {
        manual_seed(seed);
        return randint(0, 50257, [2, length]);
    }

    [Fact]
    public void Generate_AppendsMaxNewTokens_KeepingThePrompt()
    {
        using var model = TinyModel();
        using var prompt = Prompt(4);

        using var output = GenerateTextSimple.Generate(model, prompt, maxNewTokens: 5, contextSize: 32);

        output.shape.Should().Equal(2, 9);
        output[.., ..4].data<long>().ToArray().Should().Equal(prompt.data<long>().ToArray());
    }

    [Fact]
    public void Generate_PicksTheHighestLogitAtEachStep()
    {
        using var model = TinyModel();
        using var prompt = Prompt(3);

        using var output = GenerateTextSimple.Generate(model, prompt, maxNewTokens: 1, contextSize: 32);

        using var logits = model.call(prompt);
        output[.., 3].data<long>().ToArray().Should().Equal(logits[.., -1].argmax(-1).data<long>().ToArray());
    }

    [Fact]
    public void Generate_CropsALongPromptToTheLastContextSizeTokens()
    {
        using var model = TinyModel();
        using var prompt = Prompt(40); // longer than ContextLength 32: must not throw

        using var fromLong = GenerateTextSimple.Generate(model, prompt, maxNewTokens: 3, contextSize: 8);
        using var fromTail = GenerateTextSimple.Generate(model, prompt[.., 32..], maxNewTokens: 3, contextSize: 8);

        fromLong[.., 40..].data<long>().ToArray().Should().Equal(fromTail[.., 8..].data<long>().ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(32)] // ContextLength: the window is full from the first step
    public void Generate_WithKvCache_GivesExactlyTheSameTokensAsWithout(int promptLength)
    {
        using var model = TinyModel();
        using var prompt = Prompt(promptLength);
        // Enough new tokens to run past the 32-token window, into the sliding-window regime.
        const int newTokens = 40;

        using var plain = GenerateTextSimple.Generate(model, prompt, newTokens, contextSize: 32);
        using var cached = GenerateTextSimple.Generate(model, prompt, newTokens, contextSize: 32, useKvCache: true);

        cached.data<long>().ToArray().Should().Equal(plain.data<long>().ToArray());
    }

    [Fact]
    public void Generate_WithKvCache_MatchesWithoutForAShorterContextSize()
    {
        using var model = TinyModel(seed: 9);
        using var prompt = Prompt(5, seed: 3);

        using var plain = GenerateTextSimple.Generate(model, prompt, 20, contextSize: 10);
        using var cached = GenerateTextSimple.Generate(model, prompt, 20, contextSize: 10, useKvCache: true);

        cached.data<long>().ToArray().Should().Equal(plain.data<long>().ToArray());
    }

    [Fact]
    public void Generate_WithZeroNewTokens_ReturnsACopyOfThePrompt()
    {
        using var model = TinyModel();
        using var prompt = Prompt(4);

        using var output = GenerateTextSimple.Generate(model, prompt, maxNewTokens: 0, contextSize: 32);

        output.data<long>().ToArray().Should().Equal(prompt.data<long>().ToArray());
        ReferenceEquals(output, prompt).Should().BeFalse();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public void Generate_Throws_WhenContextSizeIsOutsideTheModelsContext(int contextSize)
    {
        using var model = TinyModel();
        using var prompt = Prompt(4);

        var act = () => GenerateTextSimple.Generate(model, prompt, 1, contextSize);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("contextSize").WithMessage("*[1, 32]*");
    }

    [Fact]
    public void Generate_Throws_ForANegativeTokenCount()
    {
        using var model = TinyModel();
        using var prompt = Prompt(4);

        var act = () => GenerateTextSimple.Generate(model, prompt, -1, 32);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxNewTokens");
    }
}
