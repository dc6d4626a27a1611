using LlmFromScratch.Finetuning;
using Microsoft.ML.Tokenizers;

namespace LlmFromScratch.Tests.Finetuning;

public class InstructionDatasetTests
{
    private static readonly Tokenizer Gpt2 = TiktokenTokenizer.CreateForModel("gpt2");

    private static readonly InstructionEntry[] Entries =
    [
        new() { Instruction = "Edit the following sentence for grammar.", Input = "He go to the park every day.", Output = "He goes to the park every day." },
        new() { Instruction = "What is an antonym of 'complicated'?", Output = "An antonym of 'complicated' is 'simple'." },
    ];

    [Fact]
    public void Constructor_EncodesTheFullText_AndThePromptLength()
    {
        var dataset = new InstructionDataset(Entries, Gpt2);

        dataset.Count.Should().Be(2);
        for (var i = 0; i < Entries.Length; i++)
        {
            var full = Gpt2.EncodeToIds(PromptFormat.Alpaca.FormatFull(Entries[i]));
            var prompt = Gpt2.EncodeToIds(PromptFormat.Alpaca.FormatInput(Entries[i]));
            dataset[i].Should().Equal(full);
            dataset.PromptLength(i).Should().Be(prompt.Count);
            dataset[i].Take(prompt.Count).Should().Equal(prompt);   // the prompt's tokens start the full text
        }
    }

    [Fact]
    public void Constructor_UsesTheGivenFormat()
    {
        var dataset = new InstructionDataset(Entries, Gpt2, PromptFormat.Phi3);

        Gpt2.Decode(dataset[1]).Should().Be("<|user|>\nWhat is an antonym of 'complicated'?\n<|assistant|>:\nAn antonym of 'complicated' is 'simple'.");
    }

    [Fact]
    public void Loader_CollatesBatches_WithPromptMasking()
    {
        var dataset = new InstructionDataset(Entries, Gpt2);

        var (inputs, targets) = new InstructionDataset(Entries, Gpt2).Loader(2, maskPrompt: true, allowedMaxLength: 1024).Single();

        var longest = Math.Max(dataset[0].Count, dataset[1].Count);
        inputs.shape.Should().Equal(2, longest);
        var row1 = targets[1].data<long>().ToArray();
        row1.Take(dataset.PromptLength(1) - 1).Should().OnlyContain(t => t == -100);
        row1[dataset.PromptLength(1) - 1].Should().Be(dataset[1][dataset.PromptLength(1)]);
        row1[dataset[1].Count - 1].Should().Be(50256);
    }
}
