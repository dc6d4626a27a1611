namespace LlmFromScratch.Finetuning;

/// <summary>
/// How an instruction entry becomes model text: a prompt (<see cref="FormatInput"/>) and the response that follows it
/// (<see cref="FormatResponse"/>). <see cref="Alpaca"/> is the book's format; <see cref="Phi3"/> is exercise 7.1's.
/// </summary>
/// <param name="Name">Short name for logs.</param>
/// <param name="Preamble">Text before the instruction.</param>
/// <param name="InputPrefix">Text between instruction and input; the input part is left out when the input is empty.</param>
/// <param name="ResponsePrefix">Text between the prompt and the answer.</param>
public sealed record PromptFormat(string Name, string Preamble, string InputPrefix, string ResponsePrefix)
{
    /// <summary>
    /// The Alpaca-style prompt of chapter 7: <c>"Below is an instruction that describes a task. Write a response that
    /// appropriately completes the request.\n\n### Instruction:\n{instruction}"</c> + <c>"\n\n### Input:\n{input}"</c>
    /// when there is an input; response <c>"\n\n### Response:\n{output}"</c>.
    /// </summary>
    public static readonly PromptFormat Alpaca = new(
        "alpaca",
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n",
        "\n\n### Input:\n",
        "\n\n### Response:\n");

    /// <summary>
    /// The Phi-3-style prompt of the book's exercise 7.1: <c>"&lt;|user|&gt;\n{instruction}"</c> + <c>"\n{input}"</c>;
    /// response <c>"\n&lt;|assistant|&gt;:\n{output}"</c> (the colon is the book's, not Phi-3's own template).
    /// </summary>
    public static readonly PromptFormat Phi3 = new("phi-3", "<|user|>\n", "\n", "\n<|assistant|>:\n");

    /// <summary>The prompt: instruction, plus the input when it is not empty (the book's <c>format_input</c>).</summary>
    public string FormatInput(InstructionEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Preamble + entry.Instruction + (string.IsNullOrEmpty(entry.Input) ? "" : InputPrefix + entry.Input);
    }

    /// <summary>The part after the prompt: response header and the reference output.</summary>
    public string FormatResponse(InstructionEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return ResponsePrefix + entry.Output;
    }

    /// <summary>Prompt and response together: what the model is fine-tuned on.</summary>
    public string FormatFull(InstructionEntry entry) => FormatInput(entry) + FormatResponse(entry);

    /// <summary>The response header without surrounding line breaks (<c>### Response:</c>, <c>&lt;|assistant|&gt;:</c>).</summary>
    public string ResponseHeader => ResponsePrefix.Trim();
}
