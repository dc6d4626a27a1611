using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Tests.Weights;

/// <summary>
/// A stand-in with exactly the book's GPT state-dict keys and shapes (no forward pass), so weight loading and
/// export can be tested before the course's <c>GptModel</c> exists. Field names are the registered names.
/// </summary>
#pragma warning disable IDE1006 // the book's names are the state-dict contract
internal sealed class CourseLayoutGpt : Module
{
    private readonly Embedding tok_emb;
    private readonly Embedding pos_emb;
    private readonly ModuleList<Block> trf_blocks;
    private readonly Norm final_norm;
    private readonly Linear out_head;

    public CourseLayoutGpt(int vocab, int context, int emb, int layers, bool qkvBias = true) : base(nameof(CourseLayoutGpt))
    {
        tok_emb = Embedding(vocab, emb);
        pos_emb = Embedding(context, emb);
        trf_blocks = new ModuleList<Block>(Enumerable.Range(0, layers).Select(_ => new Block(emb, qkvBias)).ToArray());
        final_norm = new Norm(emb);
        out_head = Linear(emb, vocab, hasBias: false);
        RegisterComponents();
    }

    internal sealed class Block : Module
    {
        private readonly Attention att;
        private readonly FeedForward ff;
        private readonly Norm norm1;
        private readonly Norm norm2;

        public Block(int emb, bool qkvBias) : base(nameof(Block))
        {
            att = new Attention(emb, qkvBias);
            ff = new FeedForward(emb);
            norm1 = new Norm(emb);
            norm2 = new Norm(emb);
            RegisterComponents();
        }
    }

    internal sealed class Attention : Module
    {
        private readonly Linear W_query;
        private readonly Linear W_key;
        private readonly Linear W_value;
        private readonly Linear out_proj;

        public Attention(int emb, bool qkvBias) : base(nameof(Attention))
        {
            W_query = Linear(emb, emb, hasBias: qkvBias);
            W_key = Linear(emb, emb, hasBias: qkvBias);
            W_value = Linear(emb, emb, hasBias: qkvBias);
            out_proj = Linear(emb, emb);
            RegisterComponents();
        }
    }

    internal sealed class FeedForward : Module
    {
        private readonly Sequential layers;

        public FeedForward(int emb) : base(nameof(FeedForward))
        {
            layers = Sequential(Linear(emb, 4 * emb), GELU(), Linear(4 * emb, emb));
            RegisterComponents();
        }
    }

    internal sealed class Norm : Module
    {
        private readonly Parameter scale;
        private readonly Parameter shift;

        public Norm(int emb) : base(nameof(Norm))
        {
            scale = Parameter(ones(emb));
            shift = Parameter(zeros(emb));
            RegisterComponents();
        }
    }
}
#pragma warning restore IDE1006
