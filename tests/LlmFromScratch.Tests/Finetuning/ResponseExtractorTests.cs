using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class ResponseExtractorTests
{
    private static readonly InstructionEntry Entry = new() { Instruction = "Rewrite the sentence using a simile.", Input = "The car is very fast.", Output = "The car is as fast as lightning." };

    [Fact]
    public void Extract_StripsThePromptAndTheResponseHeader()
    {
        var prompt = PromptFormat.Alpaca.FormatInput(Entry);
        var generated = prompt + "\n\n### Response:\nThe car is as fast as a bullet.  \n";

        ResponseExtractor.Extract(generated, prompt).Should().Be("The car is as fast as a bullet.");
    }

    [Fact]
    public void Extract_EndsAtALiteralEndOfText()
    {
        var prompt = PromptFormat.Alpaca.FormatInput(Entry);

        ResponseExtractor.Extract(prompt + "\n\n### Response:\nFast.<|endoftext|>### Instruction: more", prompt).Should().Be("Fast.");
    }

    [Fact]
    public void Extract_RemovesThePhi3Header_ForThatFormat()
    {
        var prompt = PromptFormat.Phi3.FormatInput(Entry);

        ResponseExtractor.Extract(prompt + "\n<|assistant|>:\nLike lightning.", prompt, PromptFormat.Phi3).Should().Be("Like lightning.");
    }

    [Fact]
    public void Extract_Throws_WhenTheTextDoesNotStartWithThePrompt()
    {
        var act = () => ResponseExtractor.Extract("Something else entirely", PromptFormat.Alpaca.FormatInput(Entry));

        act.Should().Throw<ArgumentException>().WithParameterName("generatedText").WithMessage("*does not start with the prompt*Something else*");
    }
}
