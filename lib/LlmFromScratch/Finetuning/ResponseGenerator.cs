using LlmFromScratch.Generation;
using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Section 7.7: the fine-tuned model answers every test entry. Each prompt (<see cref="PromptFormat.FormatInput"/>)
/// is generated from greedily until the model emits <c>&lt;|endoftext|&gt;</c> (id 50256) or
/// <c>maxNewTokens</c> tokens, and the answer is cut out with <see cref="ResponseExtractor.Extract"/>.
/// </summary>
public static class ResponseGenerator
{
    /// <summary>
    /// The book's loop over <c>test_data</c>: for each entry, <c>generate(model, prompt ids, max_new_tokens,
    /// context_size, eos_id=50256)</c>, decode, extract. Returns copies of the entries with
    /// <see cref="InstructionEntry.ModelResponse"/> set; the inputs are not changed.
    /// </summary>
    /// <param name="model">Maps (1, t) ids to (1, t, vocab) logits; run in eval mode under <c>no_grad</c>.</param>
    /// <param name="entries">The entries to answer.</param>
    /// <param name="tokenizer">GPT-2's tokenizer (e.g. <c>TiktokenTokenizer.CreateForModel("gpt2")</c>).</param>
    /// <param name="device">Where the model lives.</param>
    /// <param name="contextSize">The model's context length; longer prompts are cropped to their last tokens.</param>
    /// <param name="maxNewTokens">Most tokens per answer (the book: 256).</param>
    /// <param name="format">Prompt format; default <see cref="PromptFormat.Alpaca"/>.</param>
    /// <param name="eosId">Stop token; GPT-2's <c>&lt;|endoftext|&gt;</c> by default.</param>
    /// <param name="progress">Receives the number of entries answered so far.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNewTokens"/> or <paramref name="contextSize"/> below 1.</exception>
    public static IReadOnlyList<InstructionEntry> GenerateResponses(nn.Module<Tensor, Tensor> model, IReadOnlyList<InstructionEntry> entries,
        Tokenizer tokenizer, Device device, int contextSize, int maxNewTokens = 256, PromptFormat? format = null,
        long eosId = InstructionCollate.EndOfText, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (maxNewTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, "must be at least 1");
        if (contextSize < 1) throw new ArgumentOutOfRangeException(nameof(contextSize), contextSize, "must be at least 1");
        format ??= PromptFormat.Alpaca;
        var answered = new List<InstructionEntry>(entries.Count);
        foreach (var entry in entries)
        {
            using var scope = NewDisposeScope();
            var prompt = format.FormatInput(entry);
            var ids = tokenizer.EncodeToIds(prompt).Select(i => (long)i).ToArray();
            var input = tensor(ids, [1, ids.Length], device: device);                          // (1, t)
            var generated = GenerateText.Generate(model, input, maxNewTokens, contextSize, eosId: eosId); // (1, t + n)
            var text = tokenizer.Decode(generated[0].cpu().data<long>().Select(i => (int)i));
            answered.Add(entry with { ModelResponse = ResponseExtractor.Extract(text, prompt, format) });
            progress?.Report(answered.Count);
        }
        return answered;
    }
}
