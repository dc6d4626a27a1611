namespace LlmFromScratch.Model;

/// <summary>
/// The GPT model's hyperparameters (the book's <c>GPT_CONFIG_124M</c> dictionary, typed and checked).
/// Every module receives a config; none reads global settings, so a test can build a <see cref="Tiny"/> model.
/// </summary>
/// <remarks>
/// Each property checks its own value when set, including in a <c>with</c> expression
/// (<c>GptConfig.Gpt124M with { ContextLength = 256 }</c>). The rule that ties two properties together,
/// EmbDim divisible by NHeads, is checked by the constructor and by <see cref="Validate"/>, which
/// <see cref="GptModel"/> calls: a <c>with</c> expression sets properties one at a time, so it cannot be
/// checked halfway through one.
/// </remarks>
public sealed record GptConfig
{
    /// <param name="vocabSize">Number of token ids (50257 for GPT-2's BPE).</param>
    /// <param name="contextLength">Longest input the model accepts (positional embeddings and causal mask size).</param>
    /// <param name="embDim">Embedding size; also the width of every block.</param>
    /// <param name="nHeads">Attention heads per block; must divide embDim.</param>
    /// <param name="nLayers">Number of transformer blocks.</param>
    /// <param name="dropRate">Dropout probability while training, in [0, 1).</param>
    /// <param name="qkvBias">Whether the query/key/value projections have biases (OpenAI's GPT-2 weights do).</param>
    /// <param name="useSdpa">Attention via the fused <c>scaled_dot_product_attention</c> (default) or the
    /// book's explicit computation; same result, different speed.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or dropRate is outside [0, 1).</exception>
    /// <exception cref="ArgumentException">embDim is not divisible by nHeads.</exception>
    public GptConfig(int vocabSize, int contextLength, int embDim, int nHeads, int nLayers, double dropRate,
        bool qkvBias, bool useSdpa = true)
    {
        VocabSize = vocabSize;
        ContextLength = contextLength;
        EmbDim = embDim;
        NHeads = nHeads;
        NLayers = nLayers;
        DropRate = dropRate;
        QkvBias = qkvBias;
        UseSdpa = useSdpa;
        Validate();
    }

    /// <summary>Number of token ids.</summary>
    public int VocabSize { get; init => field = Positive(value, nameof(VocabSize)); }

    /// <summary>Longest input sequence.</summary>
    public int ContextLength { get; init => field = Positive(value, nameof(ContextLength)); }

    /// <summary>Embedding size.</summary>
    public int EmbDim { get; init => field = Positive(value, nameof(EmbDim)); }

    /// <summary>Attention heads per block.</summary>
    public int NHeads { get; init => field = Positive(value, nameof(NHeads)); }

    /// <summary>Transformer blocks.</summary>
    public int NLayers { get; init => field = Positive(value, nameof(NLayers)); }

    /// <summary>Dropout probability while training.</summary>
    public double DropRate
    {
        get;
        init => field = value is >= 0 and < 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DropRate), value, $"DropRate must be in [0, 1), got {value}");
    }

    /// <summary>Biases on the query/key/value projections.</summary>
    public bool QkvBias { get; init; }

    /// <summary>Fused scaled-dot-product attention (true) or the explicit computation (false).</summary>
    public bool UseSdpa { get; init; } = true;

    /// <summary>Size of each attention head, EmbDim / NHeads.</summary>
    public int HeadDim => EmbDim / NHeads;

    /// <summary>Checks the rules that involve more than one property.</summary>
    /// <exception cref="ArgumentException">EmbDim is not divisible by NHeads.</exception>
    public GptConfig Validate()
    {
        if (EmbDim % NHeads != 0)
            throw new ArgumentException(
                $"EmbDim {EmbDim} must be divisible by NHeads {NHeads} (each head gets EmbDim / NHeads features)",
                nameof(EmbDim));
        return this;
    }

    /// <summary>GPT-2 small, the book's <c>GPT_CONFIG_124M</c>: 163,009,536 parameters (124,412,160 with the head tied).</summary>
    public static GptConfig Gpt124M { get; } = new(50257, 1024, 768, 12, 12, 0.1, qkvBias: false);

    /// <summary>GPT-2 medium (355M): 1024-wide, 24 layers, 16 heads.</summary>
    public static GptConfig Gpt355M { get; } = (Gpt124M with { EmbDim = 1024, NLayers = 24, NHeads = 16 }).Validate();

    /// <summary>GPT-2 large (774M): 1280-wide, 36 layers, 20 heads.</summary>
    public static GptConfig Gpt774M { get; } = (Gpt124M with { EmbDim = 1280, NLayers = 36, NHeads = 20 }).Validate();

    /// <summary>GPT-2 XL (1558M): 1600-wide, 48 layers, 25 heads.</summary>
    public static GptConfig Gpt1558M { get; } = (Gpt124M with { EmbDim = 1600, NLayers = 48, NHeads = 25 }).Validate();

    /// <summary>
    /// For tests and quick mode: GPT-2's vocabulary (so the real tokenizer works) but a 32-token context,
    /// 32-wide embeddings, 2 heads and 2 layers. Builds and runs in milliseconds.
    /// </summary>
    public static GptConfig Tiny { get; } = new(50257, 32, 32, 2, 2, 0.1, qkvBias: false);

    private static int Positive(int value, string name) => value > 0
        ? value
        : throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive, got {value}");
}
