using static TorchSharp.torch;

namespace LlmFromScratch.Model;

/// <summary>
/// Section 4.6: how big a GPT is. Counts come either from a built module or straight from a
/// <see cref="GptConfig"/>, so the 1.5-billion-parameter XL can be sized without allocating it
/// (ModelSizeTests checks the formula against a built 124M model).
/// </summary>
public static class ModelSize
{
    /// <summary>Total number of elements in the module's parameters (the book's <c>sum(p.numel() …)</c>).</summary>
    public static long CountParameters(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.parameters().Sum(p => p.numel());
    }

    /// <summary>Parameters of one block's <see cref="Attention.MultiHeadAttention"/>: three projections and out_proj.</summary>
    public static long AttentionParameterCount(GptConfig config)
    {
        long e = config.Validate().EmbDim;
        var qkv = 3 * (e * e + (config.QkvBias ? e : 0));
        return qkv + e * e + e; // out_proj has a bias
    }

    /// <summary>Parameters of one block's <see cref="FeedForward"/>: Linear(e, 4e) and Linear(4e, e), with biases.</summary>
    public static long FeedForwardParameterCount(GptConfig config)
    {
        long e = config.Validate().EmbDim;
        return (e * 4 * e + 4 * e) + (4 * e * e + e);
    }

    /// <summary>Parameters of one <see cref="TransformerBlock"/>: attention, feed-forward and two layer norms.</summary>
    public static long TransformerBlockParameterCount(GptConfig config) =>
        AttentionParameterCount(config) + FeedForwardParameterCount(config) + 2 * LayerNormParameterCount(config);

    /// <summary>Parameters of a <see cref="GptModel"/> built from <paramref name="config"/>, without building it.</summary>
    public static long ParameterCount(GptConfig config)
    {
        long e = config.Validate().EmbDim;
        var embeddings = (long)config.VocabSize * e + (long)config.ContextLength * e;
        var blocks = config.NLayers * TransformerBlockParameterCount(config);
        return embeddings + blocks + LayerNormParameterCount(config) + OutHeadParameterCount(config);
    }

    /// <summary>
    /// Parameters when the output head shares tok_emb's weight, as in OpenAI's GPT-2 ("124M" is this number
    /// for the small model): the total minus the head.
    /// </summary>
    public static long ParameterCountWithTiedHead(GptConfig config) =>
        ParameterCount(config) - OutHeadParameterCount(config);

    /// <summary>Parameters of the bias-free output head, EmbDim × VocabSize.</summary>
    public static long OutHeadParameterCount(GptConfig config) => (long)config.Validate().EmbDim * config.VocabSize;

    /// <summary>
    /// Memory the parameters take, in MB of 1024² bytes (the book's convention): 4 bytes each in fp32,
    /// 2 in bf16/fp16. Gradients and optimizer state come on top when training.
    /// </summary>
    /// <param name="parameterCount">Number of parameters.</param>
    /// <param name="bytesPerParameter">4 for fp32 (default), 2 for bf16.</param>
    public static double Megabytes(long parameterCount, int bytesPerParameter = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerParameter);
        return parameterCount * (double)bytesPerParameter / (1024 * 1024);
    }

    private static long LayerNormParameterCount(GptConfig config) => 2L * config.EmbDim; // scale + shift
}
