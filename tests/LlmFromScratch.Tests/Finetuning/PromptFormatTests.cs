using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class PromptFormatTests
{
    private static readonly InstructionEntry WithInput = new()
    {
        Instruction = "Identify the correct spelling of the following word.",
        Input = "Ocassion",
        Output = "The correct spelling is 'Occasion.'",
    };

    private static readonly InstructionEntry WithoutInput = new() { Instruction = "What is an antonym of 'complicated'?", Output = "'Simple'." };

    [Fact]
    public void Alpaca_FormatsTheBooksPrompt_WithAnInput()
    {
        PromptFormat.Alpaca.FormatInput(WithInput).Should().Be(
            "Below is an instruction that describes a task. Write a response that appropriately completes the request." +
            "\n\n### Instruction:\nIdentify the correct spelling of the following word.\n\n### Input:\nOcassion");
        PromptFormat.Alpaca.FormatResponse(WithInput).Should().Be("\n\n### Response:\nThe correct spelling is 'Occasion.'");
    }

    [Fact]
    public void Alpaca_LeavesOutTheInputSection_WhenTheInputIsEmpty()
    {
        PromptFormat.Alpaca.FormatFull(WithoutInput).Should().Be(
            "Below is an instruction that describes a task. Write a response that appropriately completes the request." +
            "\n\n### Instruction:\nWhat is an antonym of 'complicated'?\n\n### Response:\n'Simple'.");
    }

    [Fact]
    public void Phi3_FormatsTheExercisePrompt()
    {
        PromptFormat.Phi3.FormatFull(WithInput).Should().Be(
            "<|user|>\nIdentify the correct spelling of the following word.\nOcassion\n<|assistant|>:\nThe correct spelling is 'Occasion.'");
        PromptFormat.Phi3.FormatInput(WithoutInput).Should().Be("<|user|>\nWhat is an antonym of 'complicated'?");
    }

    [Fact]
    public void ResponseHeader_IsThePrefixWithoutLineBreaks()
    {
        PromptFormat.Alpaca.ResponseHeader.Should().Be("### Response:");
        PromptFormat.Phi3.ResponseHeader.Should().Be("<|assistant|>:");
    }
}
