using LlmFromScratch.Exercises;
using LlmFromScratch.Finetuning;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class Chapter07ExercisesTests
{
    // 7.1 — the Alpaca prompt

    private static string FormatInput(InstructionEntry entry)
    {
        var instruction = "Below is an instruction that describes a task. Write a response that appropriately completes the request." +
                          $"\n\n### Instruction:\n{entry.Instruction}";
        var input = string.IsNullOrEmpty(entry.Input) ? "" : $"\n\n### Input:\n{entry.Input}";
        return instruction + input;
    }

    [Fact]
    public void Prompt_Passes_ForTheBooksFormatInput()
    {
        var outcome = Check.Evaluate("7.1", FormatInput);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Prompt_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("7.1", (Func<InstructionEntry, string>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("unless the input is empty");
    }

    [Fact]
    public void Prompt_ShowsWhereTheTextsPart_WhenAnEmptyInputStillGetsItsSection()
    {
        var outcome = Check.Evaluate("7.1", (Func<InstructionEntry, string>)(e => FormatInput(e with { Input = "" }) + $"\n\n### Input:\n{e.Input}"));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("input ''").And.Contain("the texts differ from character").And.Contain("expected …'");
    }

    [Fact]
    public void Prompt_ShowsTheLineBreaks_WhenOneIsMissing()
    {
        var outcome = Check.Evaluate("7.1", (Func<InstructionEntry, string>)(e => FormatInput(e).Replace("\n\n### Instruction", "\n### Instruction")));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("got …'pletes the request.\\n### Instruction").And.Contain("expected …'pletes the request.\\n\\n### Instruction");
    }

    // 7.2 and 7.3 — the collate function

    private static (Tensor Inputs, Tensor Targets) Collate(int[][] batch, int? allowedMaxLength) => CollateMasked(batch, null, allowedMaxLength);

    private static (Tensor Inputs, Tensor Targets) CollateMasked(int[][] batch, int[]? promptLengths, int? allowedMaxLength)
    {
        const int pad = 50256, ignore = -100;
        var length = batch.Max(ids => ids.Length) + 1;
        var inputs = new List<long[]>();
        var targets = new List<long[]>();
        for (var row = 0; row < batch.Length; row++)
        {
            var padded = batch[row].Select(id => (long)id).Concat(Enumerable.Repeat((long)pad, length - batch[row].Length)).ToArray();
            var input = padded[..^1];
            var target = padded[1..];
            var first = Array.IndexOf(target, (long)pad);
            for (var j = first + 1; first >= 0 && j < target.Length; j++)
                if (target[j] == pad) target[j] = ignore;
            if (promptLengths is not null)
                for (var j = 0; j < Math.Min(promptLengths[row] - 1, target.Length); j++) target[j] = ignore;
            if (allowedMaxLength is { } max && input.Length > max) (input, target) = (input[..max], target[..max]);
            inputs.Add(input);
            targets.Add(target);
        }
        return (stack(inputs.Select(i => tensor(i)).ToArray()), stack(targets.Select(t => tensor(t)).ToArray()));
    }

    [Fact]
    public void Collate_Passes_ForTheBooksCustomCollate()
    {
        var outcome = Check.Evaluate("7.2", Collate);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Collate_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("7.2", (Func<int[][], int?, (Tensor, Tensor)>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("every 50256 after the first becomes −100");
    }

    [Fact]
    public void Collate_NamesTheFirstTargetThatShouldBeIgnored_WhenPaddingIsKept()
    {
        var outcome = Check.Evaluate("7.2", (Func<int[][], int?, (Tensor, Tensor)>)((batch, max) =>
        {
            var (inputs, targets) = Collate(batch, max);
            return (inputs, targets.masked_fill(targets.eq(-100), 50256));
        }));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("targets of the batch [0, 1, 2, 3, 4], [5, 6], [7, 8, 9] with allowedMaxLength null")
            .And.Contain("first wrong element at [1, 2]: got 50256, expected -100");
    }

    [Fact]
    public void Collate_ShowsTheShape_WhenAllowedMaxLengthIsIgnored()
    {
        var outcome = Check.Evaluate("7.2", (Func<int[][], int?, (Tensor, Tensor)>)((batch, _) => Collate(batch, null)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("inputs of the batch [0, 1, 2, 3, 4], [5, 6], [7, 8, 9] with allowedMaxLength 3: shape (3, 5), expected (3, 3)");
    }

    [Fact]
    public void CollateMasked_Passes_WhenPromptTargetsAreIgnored()
    {
        var outcome = Check.Evaluate("7.3", (Func<int[][], int[], int?, (Tensor, Tensor)>)CollateMasked);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void CollateMasked_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("7.3", (Func<int[][], int[], int?, (Tensor, Tensor)>)((_, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("target j predicts token j + 1");
    }

    [Fact]
    public void CollateMasked_ShowsTheElement_WhenOneTargetTooManyIsMasked()
    {
        var outcome = Check.Evaluate("7.3", (Func<int[][], int[], int?, (Tensor, Tensor)>)((batch, prompts, max) =>
            CollateMasked(batch, prompts.Select(p => p + 1).ToArray(), max)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("with prompt lengths [3, 1, 2]").And.Contain("first wrong element at [0, 2]: got -100, expected 3");
    }

    // 7.4 — extracting the response

    private static string ExtractResponse(string generatedText, string prompt)
    {
        var rest = generatedText[prompt.Length..];
        var end = rest.IndexOf("<|endoftext|>", StringComparison.Ordinal);
        if (end >= 0) rest = rest[..end];
        return rest.Replace("### Response:", "").Trim();
    }

    [Fact]
    public void Response_Passes_WhenPromptHeaderAndEndMarkerAreRemoved()
    {
        var outcome = Check.Evaluate("7.4", ExtractResponse);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Response_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("7.4", (Func<string, string, string>)((_, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("end it at \"<|endoftext|>\"");
    }

    [Fact]
    public void Response_ShowsTheExtraText_WhenTheEndMarkerIsKept()
    {
        var outcome = Check.Evaluate("7.4", (Func<string, string, string>)((g, p) => g[p.Length..].Replace("### Response:", "").Trim()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("the texts differ from character 9").And.Contain("got 'Occasion.<|endoftext|>");
    }
}
