using LlmFromScratch.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Attention;

/// <summary>
/// Section 3.6.2: multi-head causal self-attention with one projection each for queries, keys and values,
/// split into heads by a view and a transpose, and an output projection that mixes the heads. This is the
/// attention inside every GPT block.
/// </summary>
/// <remarks>
/// Two ways to compute the same attention: the book's explicit one (scores, −∞ mask, softmax, dropout, product
/// with the values) and libtorch's fused <c>scaled_dot_product_attention</c> (SDPA), which never materialises
/// the (t × t) weights and is the faster default. Both give the same result within float tolerance when
/// dropout is off; with dropout on they draw different random masks.
/// <para>New (mixed precision): with <see cref="ComputeDtype"/> set to bfloat16 the four projections and the attention
/// products run in bfloat16 (queries, keys and values stay bfloat16 between them), the explicit path's softmax runs in
/// float32, and the output comes back as float32; the weights stay float32 (see <see cref="MixedPrecision"/>).</para>
/// </remarks>
public sealed class MultiHeadAttention : Module<Tensor, Tensor>, IMixedPrecision
{
    // Declared as Module<Tensor, Tensor>, not Linear, so appendix E's LoRA can swap in a LinearWithLoRA
    // (Finetuning.ModuleSurgery can only put a replacement into a field whose type admits it).
    private readonly Module<Tensor, Tensor> W_query;
    private readonly Module<Tensor, Tensor> W_key;
    private readonly Module<Tensor, Tensor> W_value;
    private readonly Module<Tensor, Tensor> out_proj;
    private readonly Dropout dropout;
    private Tensor mask;
    private readonly int _dIn;
    private readonly int _dOut;
    private readonly int _numHeads;
    private readonly int _headDim;
    private readonly int _contextLength;
    private readonly double _dropRate;

    /// <param name="dIn">Input embedding size.</param>
    /// <param name="dOut">Output size, split evenly across the heads (must divide by numHeads).</param>
    /// <param name="contextLength">Longest sequence the causal mask covers.</param>
    /// <param name="dropout">Attention-weight dropout probability while training, in [0, 1).</param>
    /// <param name="numHeads">Number of heads.</param>
    /// <param name="qkvBias">Whether the query, key and value projections have a bias.</param>
    /// <param name="useSdpa">True (default): fused <c>scaled_dot_product_attention</c>; false: the explicit
    /// computation, step by step as in the book.</param>
    public MultiHeadAttention(int dIn, int dOut, int contextLength, double dropout, int numHeads,
        bool qkvBias = false, bool useSdpa = true) : base(nameof(MultiHeadAttention))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dOut);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contextLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numHeads);
        if (dOut % numHeads != 0)
            throw new ArgumentException($"dOut {dOut} must be divisible by numHeads {numHeads}", nameof(dOut));
        if (dropout is < 0 or >= 1 || double.IsNaN(dropout))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be in [0, 1)");
        (_dIn, _dOut, _numHeads, _headDim, _contextLength, _dropRate) =
            (dIn, dOut, numHeads, dOut / numHeads, contextLength, dropout);
        UseSdpa = useSdpa;
        W_query = Linear(dIn, dOut, hasBias: qkvBias);
        W_key = Linear(dIn, dOut, hasBias: qkvBias);
        W_value = Linear(dIn, dOut, hasBias: qkvBias);
        out_proj = Linear(dOut, dOut);
        this.dropout = Dropout(dropout);
        mask = CausalMask.Create(contextLength); // see CausalAttention: a non-persistent buffer
        register_buffer(CausalMask.BufferName, mask, persistent: false);
        RegisterComponents();
    }

    /// <summary>Whether forward uses the fused <c>scaled_dot_product_attention</c> (else the explicit path).</summary>
    public bool UseSdpa { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">Set to a dtype other than Float32 or BFloat16.</exception>
    public ScalarType ComputeDtype
    {
        get;
        set => field = MixedPrecision.Require(value, nameof(ComputeDtype));
    } = ScalarType.Float32;

    /// <param name="x">Token embeddings, shape (b, t, dIn) with t ≤ contextLength.</param>
    /// <returns>Context vectors, shape (b, t, dOut).</returns>
    /// <exception cref="ArgumentException">t exceeds the context length, or x has the wrong shape.</exception>
    public override Tensor forward(Tensor x) => Forward(x, cache: null);

    /// <summary>
    /// New (KV cache): attends from the new tokens in <paramref name="x"/> to everything cached so far plus
    /// themselves, and appends their keys and values to <paramref name="cache"/>. The new tokens sit at
    /// absolute positions cache.Length … cache.Length + t − 1, which the causal mask accounts for.
    /// </summary>
    /// <param name="x">Embeddings of the new tokens only, shape (b, t, dIn).</param>
    /// <param name="cache">This layer's cache; grows by t positions.</param>
    /// <returns>Context vectors for the new tokens, shape (b, t, dOut).</returns>
    /// <exception cref="ArgumentException">Cached plus new positions exceed the context length.</exception>
    public Tensor forward(Tensor x, LayerKvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        return Forward(x, cache);
    }

    private Tensor Forward(Tensor x, LayerKvCache? cache)
    {
        CausalMask.RequireBatchOfEmbeddings(x, _dIn, nameof(x));
        var (b, t) = (x.shape[0], x.shape[1]);
        var start = cache?.Length ?? 0;
        CausalMask.RequireFits(start + t, _contextLength, nameof(x));
        using var queries = SplitHeads(Project(W_query, x), b, t); // (b, nHeads, t, headDim)
        using var newKeys = SplitHeads(Project(W_key, x), b, t);   // (b, nHeads, t, headDim)
        using var newValues = SplitHeads(Project(W_value, x), b, t);
        // With a cache, attend over everything cached so far plus the new positions.
        var (keys, values) = cache is null ? (newKeys, newValues) : cache.Append(newKeys, newValues); // (b, nHeads, start + t, headDim)
        using var context = Attend(queries, keys, values, start);   // (b, nHeads, t, headDim)
        if (cache is not null) { keys.Dispose(); values.Dispose(); } // the views, not the cache's storage
        using var merged = context.transpose(1, 2).reshape(b, t, _dOut); // (b, t, dOut)
        return MixedPrecision.Linear(out_proj, merged, ComputeDtype); // (b, t, dOut), float32
    }

    /// <summary>A projection whose result stays in the compute dtype, ready for the attention products.</summary>
    private Tensor Project(Module<Tensor, Tensor> projection, Tensor x) =>
        MixedPrecision.Linear(projection, x, ComputeDtype, resultDtype: ComputeDtype);

    /// <summary>(b, t, dOut) → (b, nHeads, t, headDim): each head gets its own slice of the features.</summary>
    private Tensor SplitHeads(Tensor projected, long b, long t)
    {
        using (projected)
        using (var split = projected.view(b, t, _numHeads, _headDim)) // (b, t, nHeads, headDim)
            return split.transpose(1, 2);                               // (b, nHeads, t, headDim)
    }

    private Tensor Attend(Tensor queries, Tensor keys, Tensor values, int start) => UseSdpa
        ? FusedAttention(queries, keys, values, start)
        : ExplicitAttention(queries, keys, values, start);

    /// <summary>The book's attention: queries at absolute positions start…start+tq−1 against keys 0…tk−1.</summary>
    private Tensor ExplicitAttention(Tensor queries, Tensor keys, Tensor values, int start)
    {
        var (tq, tk) = ((int)queries.shape[2], (int)keys.shape[2]);
        using var product = queries.matmul(keys.transpose(2, 3)); // (b, nHeads, tq, tk)
        // Mixed precision: mask and softmax in float32; the products alone run in bfloat16.
        using var widened = ComputeDtype == ScalarType.Float32 ? null : product.to(ScalarType.Float32);
        var scores = widened ?? product;
        using var future = mask[start..(start + tq), ..tk];       // (tq, tk), broadcast over b and heads
        scores.masked_fill_(future, double.NegativeInfinity);
        // 1/√headDim keeps the score variance independent of the head size, so softmax does not saturate.
        using var scaled = scores.div(Math.Sqrt(_headDim));
        using var probabilities = softmax(scaled, dim: -1);       // (b, nHeads, tq, tk)
        using var weights = probabilities.to(values.dtype);
        using var dropped = dropout.call(weights);
        return dropped.matmul(values);                            // (b, nHeads, tq, headDim)
    }

    /// <summary>libtorch's fused kernel; same mask and scaling, dropout only while training.</summary>
    private Tensor FusedAttention(Tensor queries, Tensor keys, Tensor values, int start)
    {
        var p = training ? _dropRate : 0.0;
        // is_causal assumes queries and keys start at the same position, true without a cache or on the
        // cache's first fill; a later chunk gets the matching slice of the mask (SDPA wants true = attend).
        if (start == 0)
            return functional.scaled_dot_product_attention(queries, keys, values, p: p, is_casual: true);
        var (tq, tk) = ((int)queries.shape[2], (int)keys.shape[2]);
        using var future = mask[start..(start + tq), ..tk];
        using var allowed = future.logical_not();
        return functional.scaled_dot_product_attention(queries, keys, values, allowed, p);
    }

    /// <summary>Carries the non-persistent mask along when the module moves (TorchSharp skips it; see CausalAttention).</summary>
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
