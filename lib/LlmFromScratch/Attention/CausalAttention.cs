using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Attention;

/// <summary>
/// Section 3.5.3: single-head self-attention that cannot look ahead (causal mask) and drops attention weights
/// at random while training (dropout). Works on batches.
/// </summary>
public sealed class CausalAttention : Module<Tensor, Tensor>
{
    private readonly Linear W_query;
    private readonly Linear W_key;
    private readonly Linear W_value;
    private readonly Dropout dropout;
    private Tensor mask;
    private readonly int _dIn;
    private readonly int _contextLength;

    /// <param name="dIn">Input embedding size.</param>
    /// <param name="dOut">Size of the query, key, value and context vectors.</param>
    /// <param name="contextLength">Longest sequence the mask covers.</param>
    /// <param name="dropout">Probability of zeroing an attention weight while training, in [0, 1).</param>
    /// <param name="qkvBias">Whether the three projections have a bias.</param>
    public CausalAttention(int dIn, int dOut, int contextLength, double dropout, bool qkvBias = false)
        : base(nameof(CausalAttention))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dOut);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        if (dropout is < 0 or >= 1 || double.IsNaN(dropout))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be in [0, 1)");
        _dIn = dIn;
        _contextLength = contextLength;
        W_query = Linear(dIn, dOut, hasBias: qkvBias);
        W_key = Linear(dIn, dOut, hasBias: qkvBias);
        W_value = Linear(dIn, dOut, hasBias: qkvBias);
        this.dropout = Dropout(dropout);
        // A buffer moves with the module (.to(device)) but is not trained; non-persistent keeps it out of the
        // state dict, since it is rebuilt from the context length and GPT-2 checkpoints do not carry it.
        mask = CausalMask.Create(contextLength);
        register_buffer(CausalMask.BufferName, mask, persistent: false);
        RegisterComponents();
    }

    /// <param name="x">Token embeddings, shape (b, t, dIn) with t ≤ contextLength.</param>
    /// <returns>Context vectors, shape (b, t, dOut).</returns>
    /// <exception cref="ArgumentException">t exceeds the context length, or x has the wrong shape.</exception>
    public override Tensor forward(Tensor x)
    {
        CausalMask.RequireBatchOfEmbeddings(x, _dIn, nameof(x));
        var t = x.shape[1];
        CausalMask.RequireFits(t, _contextLength, nameof(x));
        using var keys = W_key.call(x);         // (b, t, dOut)
        using var queries = W_query.call(x);    // (b, t, dOut)
        using var values = W_value.call(x);     // (b, t, dOut)
        using var scores = queries.matmul(keys.transpose(1, 2)); // (b, t, t)
        // -inf before softmax gives exactly zero weight to future tokens and lets softmax renormalise the rest,
        // so no separate "divide by the row sum" step is needed.
        using var future = mask[..(int)t, ..(int)t];
        scores.masked_fill_(future, double.NegativeInfinity);
        using var weights = softmax(scores / Math.Sqrt(keys.shape[^1]), dim: -1);
        using var dropped = dropout.call(weights);
        return dropped.matmul(values); // (b, t, dOut)
    }

    /// <summary>
    /// TorchSharp 0.107's <c>Module.to</c> moves only the buffers <c>named_buffers()</c> lists, and that skips
    /// non-persistent ones, so the mask would stay on the CPU when the model moves to a GPU. Move it here.
    /// </summary>
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        if (!CausalMask.NeedsMove(mask, device)) return;
        var moved = mask.to(device!).DetachFromDisposeScope();
        ConditionallyRegisterBuffer(CausalMask.BufferName, moved, persistent: false);
        mask.Dispose();
        mask = moved;
    }
}
