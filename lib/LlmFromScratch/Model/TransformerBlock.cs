using LlmFromScratch.Attention;
using LlmFromScratch.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Model;

/// <summary>
/// Section 4.5: one GPT block. Pre-norm: each sub-layer (attention, then feed-forward) sees a layer-normalised
/// copy of its input, and its output, after dropout, is added back to that input (the shortcut), so the
/// signal and its gradient always have an unobstructed path through the stack.
/// </summary>
public sealed class TransformerBlock : Module<Tensor, Tensor>, IMixedPrecision
{
    // Declared in the book's order (not call order) so parameters are initialised from the seed in the same
    // sequence as in PyTorch and the state dict lists keys in the same order.
    private readonly MultiHeadAttention att;
    private readonly FeedForward ff;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
    private readonly Dropout drop_shortcut;

    /// <param name="config">Block width, heads, context length, dropout, qkv bias and attention path.</param>
    public TransformerBlock(GptConfig config) : base(nameof(TransformerBlock))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        att = new MultiHeadAttention(config.EmbDim, config.EmbDim, config.ContextLength, config.DropRate,
            config.NHeads, config.QkvBias, config.UseSdpa);
        ff = new FeedForward(config);
        norm1 = new LayerNorm(config.EmbDim);
        norm2 = new LayerNorm(config.EmbDim);
        drop_shortcut = Dropout(config.DropRate);
        RegisterComponents();
    }

    /// <summary>New (mixed precision): the compute dtype of the attention and feed-forward products; layer norms,
    /// shortcuts and dropout stay float32.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a dtype other than Float32 or BFloat16.</exception>
    public ScalarType ComputeDtype
    {
        get => att.ComputeDtype;
        set => (att.ComputeDtype, ff.ComputeDtype) = (value, value);
    }

    /// <param name="x">Shape (b, t, EmbDim), t ≤ ContextLength.</param>
    /// <returns>Shape (b, t, EmbDim).</returns>
    public override Tensor forward(Tensor x) => Forward(x, cache: null);

    /// <summary>New (KV cache): the same block, attending over this layer's cache plus the new tokens.</summary>
    /// <param name="x">The new tokens only, shape (b, t, EmbDim).</param>
    /// <param name="cache">This block's cache; grows by t positions.</param>
    /// <returns>Shape (b, t, EmbDim).</returns>
    public Tensor forward(Tensor x, LayerKvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return Forward(x, cache);
    }

    private Tensor Forward(Tensor x, LayerKvCache? cache)
    {
        using var normed1 = norm1.call(x);                                           // (b, t, emb)
        // The cached overload is a plain method call, so forward hooks do not fire on that path.
        using var attended = cache is null ? att.call(normed1) : att.forward(normed1, cache); // (b, t, emb)
        using var attDropped = drop_shortcut.call(attended);
        using var h = attDropped.add(x);                                             // shortcut
        using var normed2 = norm2.call(h);
        using var fed = ff.call(normed2);                                            // (b, t, emb)
        using var ffDropped = drop_shortcut.call(fed);
        return ffDropped.add(h);                                                     // shortcut, (b, t, emb)
    }
}
