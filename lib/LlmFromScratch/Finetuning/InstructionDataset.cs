using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Chapter 7's <c>InstructionDataset</c>: every entry's full text (prompt + response) pre-tokenised, plus the token
/// count of its prompt alone, which <see cref="InstructionCollate.Collate"/> needs to mask the prompt (exercise 7.2).
/// </summary>
public sealed class InstructionDataset
{
    private readonly int[][] _tokens;
    private readonly int[] _promptLengths;

    /// <param name="data">The entries.</param>
    /// <param name="encode">Text → token ids.</param>
    /// <param name="format">Prompt format; default <see cref="PromptFormat.Alpaca"/>.</param>
    public InstructionDataset(IReadOnlyList<InstructionEntry> data, Func<string, IReadOnlyList<int>> encode, PromptFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(encode);
        Format = format ?? PromptFormat.Alpaca;
        _tokens = data.Select(e => encode(Format.FormatFull(e)).ToArray()).ToArray();
        // Like the book's exercise solution, the prompt is encoded on its own; the response starts with a line
        // break, which BPE never merges with the prompt's last word, so these are the full text's first tokens.
        _promptLengths = data.Select(e => encode(Format.FormatInput(e)).Count).ToArray();
    }

    /// <summary>Tokenises with a Microsoft.ML.Tokenizers tokenizer (e.g. <c>TiktokenTokenizer.CreateForModel("gpt2")</c>).</summary>
    public InstructionDataset(IReadOnlyList<InstructionEntry> data, Tokenizer tokenizer, PromptFormat? format = null)
        : this(data, text => tokenizer.EncodeToIds(text), format)
    {
    }

    /// <summary>The prompt format the texts were built with.</summary>
    public PromptFormat Format { get; }

    /// <summary>Number of entries.</summary>
    public int Count => _tokens.Length;

    /// <summary>Token ids of entry <paramref name="index"/>'s full text (unpadded).</summary>
    public IReadOnlyList<int> this[int index] => _tokens[index];

    /// <summary>Token count of entry <paramref name="index"/>'s prompt (instruction and input).</summary>
    public int PromptLength(int index) => _promptLengths[index];

    /// <summary>
    /// A loader whose batches go through <see cref="InstructionCollate.Collate"/>. The book uses batch 8, shuffle and
    /// drop-last for training, neither for validation and test, and <c>allowed_max_length=1024</c>.
    /// </summary>
    /// <param name="batchSize">Entries per batch.</param>
    /// <param name="shuffle">New random order every epoch.</param>
    /// <param name="dropLast">Leave out a short last batch.</param>
    /// <param name="seed">Seeds the shuffling.</param>
    /// <param name="allowedMaxLength">Cut inputs and targets to this many tokens.</param>
    /// <param name="maskPrompt">Also replace the prompt's targets by the ignore index (exercise 7.2).</param>
    /// <param name="device">Where the batches are created.</param>
    public BatchLoader Loader(int batchSize, bool shuffle = false, bool dropLast = false, int seed = 123,
        int? allowedMaxLength = null, bool maskPrompt = false, Device? device = null) =>
        new(Count, batchSize, indices => InstructionCollate.Collate(
                indices.Select(i => _tokens[i]).ToList(),
                allowedMaxLength: allowedMaxLength,
                promptLengths: maskPrompt ? indices.Select(i => _promptLengths[i]).ToList() : null,
                device: device),
            shuffle, dropLast, seed);
}
