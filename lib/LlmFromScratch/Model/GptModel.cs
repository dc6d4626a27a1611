using LlmFromScratch.Attention;
using LlmFromScratch.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Model;

/// <summary>
/// Section 4.6: the GPT model. Token and position embeddings, dropout, a stack of
/// <see cref="TransformerBlock"/>s, a final <see cref="LayerNorm"/>, and a bias-free linear head that turns
/// each position's vector into one logit per vocabulary entry.
/// </summary>
/// <remarks>
/// Registered names are the book's state-dict keys (<c>tok_emb.weight</c>,
/// <c>trf_blocks.0.att.W_query.weight</c>, …, <c>out_head.weight</c>) because they are the field names; the
/// causal masks are non-persistent buffers, so the state dict holds parameters only.
/// <para>New (mixed precision): set <see cref="ComputeDtype"/> to bfloat16 and every matrix product (attention,
/// feed-forward, output head) runs in bfloat16 while parameters, embeddings, layer norms and the returned logits stay
/// float32; <c>TrainerSettings.ComputeDtype</c> does this for a training run.</para>
/// </remarks>
public sealed class GptModel : Module<Tensor, Tensor>, IMixedPrecision
{
    private readonly Embedding tok_emb;
    private readonly Embedding pos_emb;
    private readonly Dropout drop_emb;
    private readonly Sequential trf_blocks;
    private readonly LayerNorm final_norm;
    // Module<Tensor, Tensor>, not Linear: chapter 6 replaces the head and appendix E wraps it for LoRA
    // (Finetuning.ModuleSurgery.ReplaceChild(model, "out_head", …)).
    private readonly Module<Tensor, Tensor> out_head;

    /// <param name="config">The model's hyperparameters; checked again here (<see cref="GptConfig.Validate"/>).</param>
    public GptModel(GptConfig config) : base(nameof(GptModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Validate();
        tok_emb = Embedding(config.VocabSize, config.EmbDim);
        pos_emb = Embedding(config.ContextLength, config.EmbDim);
        drop_emb = Dropout(config.DropRate);
        trf_blocks = Sequential(Enumerable.Range(0, config.NLayers).Select(_ => new TransformerBlock(config)));
        final_norm = new LayerNorm(config.EmbDim);
        // GPT-2 ties this matrix to tok_emb.weight; the book keeps them separate (see ModelSize).
        out_head = Linear(config.EmbDim, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public GptConfig Config { get; }

    /// <summary>
    /// New (mixed precision): the dtype of every matrix product in the model, Float32 (default) or BFloat16.
    /// Setting it sets it on every block. Parameters stay float32 either way; logits are float32.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a dtype other than Float32 or BFloat16.</exception>
    public ScalarType ComputeDtype
    {
        get;
        set
        {
            field = MixedPrecision.Require(value, nameof(ComputeDtype));
            foreach (var module in modules().OfType<IMixedPrecision>()) module.ComputeDtype = value;
        }
    } = ScalarType.Float32;

    /// <summary>The output head: a bias-free <c>Linear(EmbDim, VocabSize)</c> unless replaced (chapter 6).</summary>
    public Module<Tensor, Tensor> OutHead => out_head;

    /// <param name="inIdx">Token ids, shape (b, t), int64, t ≤ ContextLength.</param>
    /// <returns>Logits, shape (b, t, VocabSize).</returns>
    /// <exception cref="ArgumentException">t exceeds ContextLength, or inIdx is not (b, t).</exception>
    public override Tensor forward(Tensor inIdx) => Forward(inIdx, cache: null);

    /// <summary>
    /// New (KV cache): logits for the new tokens only, attending to everything in <paramref name="cache"/>.
    /// Their positions continue from the cache (cache.Length, cache.Length + 1, …), so feeding a sequence in
    /// pieces gives the same logits as feeding it whole.
    /// </summary>
    /// <param name="inIdx">The new token ids, shape (b, t).</param>
    /// <param name="cache">From <see cref="CreateKvCache"/>; grows by t positions.</param>
    /// <returns>Logits for the new tokens, shape (b, t, VocabSize).</returns>
    /// <exception cref="ArgumentException">Cached plus new tokens exceed ContextLength, or the cache has the
    /// wrong number of layers.</exception>
    public Tensor forward(Tensor inIdx, KvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.Layers.Count != Config.NLayers)
            throw new ArgumentException($"cache has {cache.Layers.Count} layers, the model has {Config.NLayers}", nameof(cache));
        return Forward(inIdx, cache);
    }

    /// <summary>An empty cache sized for this model (one layer per block, ContextLength positions).</summary>
    public KvCache CreateKvCache() => new(Config.NLayers, Config.ContextLength);

    private Tensor Forward(Tensor inIdx, KvCache? cache)
    {
        ArgumentNullException.ThrowIfNull(inIdx);
        if (inIdx.dim() != 2)
            throw new ArgumentException($"expected token ids of shape (batch, tokens), got [{string.Join(", ", inIdx.shape)}]", nameof(inIdx));
        TokenIds.Check(inIdx, Config.VocabSize, tok_emb.weight!.device, nameof(inIdx));
        var (start, t) = (cache?.Length ?? 0, inIdx.shape[1]);
        if (start + t > Config.ContextLength)
            throw new ArgumentException(cache is null
                ? $"sequence length {t} exceeds ContextLength {Config.ContextLength}"
                : $"sequence length {start + t} ({start} cached + {t} new) exceeds ContextLength {Config.ContextLength}", nameof(inIdx));
        using var tokEmbeds = tok_emb.call(inIdx);                                  // (b, t, emb)
        using var positions = arange(start, start + t, dtype: ScalarType.Int64, device: inIdx.device);
        using var posEmbeds = pos_emb.call(positions);                              // (t, emb)
        using var embedded = tokEmbeds.add(posEmbeds);                              // (b, t, emb)
        using var x = drop_emb.call(embedded);
        using var hidden = cache is null ? trf_blocks.call(x) : ForwardCached(x, cache); // (b, t, emb)
        using var normed = final_norm.call(hidden);
        return MixedPrecision.Linear(out_head, normed, ComputeDtype);               // (b, t, vocab), float32
    }

    private Tensor ForwardCached(Tensor x, KvCache cache)
    {
        var h = x.alias();
        var i = 0;
        // Read the blocks from trf_blocks itself, so the cached path follows any surgery done on it.
        foreach (var block in trf_blocks.children().Cast<TransformerBlock>())
        {
            using var input = h;
            h = block.forward(input, cache.Layers[i++]); // (b, t, emb)
        }
        return h;
    }
}
