using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

/// <summary>
/// A GPT with the attention taken out, small enough for fast tests: token + position embeddings, dropout, output
/// head. It maps (b, t) int64 ids to (b, t, vocab) logits like <c>GptModel</c>, refuses inputs longer than its
/// context (so generation must crop), and its dropout makes resume depend on the random generator.
/// </summary>
public sealed class TinyLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding tok_emb;
    private readonly Embedding pos_emb;
    private readonly Dropout drop_emb;
    private readonly Linear out_head;

    public TinyLanguageModel(int vocabSize = 16, int contextLength = 8, int embDim = 16, double dropRate = 0.0)
        : base(nameof(TinyLanguageModel))
    {
        VocabSize = vocabSize;
        ContextLength = contextLength;
        tok_emb = nn.Embedding(vocabSize, embDim);
        pos_emb = nn.Embedding(contextLength, embDim);
        drop_emb = nn.Dropout(dropRate);
        out_head = nn.Linear(embDim, vocabSize);
        RegisterComponents();
    }

    public int VocabSize { get; }

    public int ContextLength { get; }

    public override Tensor forward(Tensor idx)
    {
        var t = idx.shape[1];
        if (t > ContextLength)
            throw new ArgumentException($"sequence length {t} exceeds ContextLength {ContextLength}", nameof(idx));
        using var scope = NewDisposeScope();
        var positions = arange(t, device: idx.device);                               // (t)
        var x = tok_emb.call(idx) + pos_emb.call(positions);                         // (b, t, emb)
        x = drop_emb.call(x);                                                        // (b, t, emb)
        return out_head.call(x).MoveToOuterDisposeScope();                           // (b, t, vocab)
    }
}
