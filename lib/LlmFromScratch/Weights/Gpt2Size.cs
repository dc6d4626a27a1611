namespace LlmFromScratch.Weights;

/// <summary>One of OpenAI's four GPT-2 sizes, where its weights are published, and where the course caches them.</summary>
/// <param name="Name">Hugging Face's name: <c>gpt2</c>, <c>gpt2-medium</c>, <c>gpt2-large</c>, <c>gpt2-xl</c>.</param>
/// <param name="BookLabel">The book's label, e.g. <c>gpt2-small (124M)</c>.</param>
/// <param name="EmbDim">Embedding width.</param>
/// <param name="NLayers">Transformer blocks.</param>
/// <param name="NHeads">Attention heads.</param>
/// <param name="Url">The <c>model.safetensors</c> download URL.</param>
/// <param name="CachePath">Where the file lives in the data cache (<c>gpt2-weights/NAME/model.safetensors</c>).</param>
public sealed record Gpt2Size(string Name, string BookLabel, int EmbDim, int NLayers, int NHeads, string Url, string CachePath)
{
    /// <summary>GPT-2's BPE vocabulary size, the same for every size.</summary>
    public int VocabSize => 50257;

    /// <summary>GPT-2's context length, the same for every size.</summary>
    public int ContextLength => 1024;
}
