using LlmFromScratch.Attention;
using LlmFromScratch.Exercises;
using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using LayerNorm = LlmFromScratch.Model.LayerNorm;

namespace LlmFromScratch.Tests.Exercises;

public class Chapter04ExercisesTests
{
    // 4.1 — layer normalisation

    private static Tensor LayerNormForward(Tensor x, Tensor scale, Tensor shift)
    {
        var mean = x.mean([-1], keepdim: true);
        var variance = x.var(-1, unbiased: false, keepdim: true);
        return scale * (x - mean) / sqrt(variance + 1e-5) + shift;
    }

    [Fact]
    public void LayerNorm_Passes_ForTheFormulaWithBiasedVarianceAndEpsilon()
    {
        var outcome = Check.Evaluate("4.1", LayerNormForward);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void LayerNorm_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("4.1", (Func<Tensor, Tensor, Tensor, Tensor>)((_, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("add ε = 1e-5 to the variance");
    }

    [Fact]
    public void LayerNorm_ReportsTheDifference_WithTheUnbiasedVariance()
    {
        var outcome = Check.Evaluate("4.1", (Func<Tensor, Tensor, Tensor, Tensor>)((x, scale, shift) =>
            scale * (x - x.mean([-1], keepdim: true)) / sqrt(x.var(-1, keepdim: true) + 1e-5) + shift));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("layer norm of a (3, 6) batch whose first row is constant (random scale and shift): max abs difference")
            .And.Contain("first wrong element at [1, ");
    }

    [Fact]
    public void LayerNorm_ReportsTheNaN_WithoutEpsilon()
    {
        var outcome = Check.Evaluate("4.1", (Func<Tensor, Tensor, Tensor, Tensor>)((x, scale, shift) =>
            scale * (x - x.mean([-1], keepdim: true)) / sqrt(x.var(-1, unbiased: false, keepdim: true)) + shift));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("layer norm of a (3, 6) batch whose first row is constant (random scale and shift): got NaN at [0, 0]");
    }

    [Fact]
    public void LayerNorm_ReportsTheDifference_WithoutScaleAndShift()
    {
        var outcome = Check.Evaluate("4.1", (Func<Tensor, Tensor, Tensor, Tensor>)((x, _, _) =>
            functional.layer_norm(x, [x.shape[^1]], eps: 1e-5)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("(random scale and shift): max abs difference");
    }

    // 4.2 — GELU

    private static Tensor GeluForward(Tensor x) => 0.5 * x * (1 + tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3))));

    [Fact]
    public void Gelu_Passes_ForTheTanhApproximation()
    {
        var outcome = Check.Evaluate("4.2", GeluForward);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Gelu_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("4.2", (Func<Tensor, Tensor>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("0.044715 · x³");
    }

    [Fact]
    public void Gelu_ReportsTheDifference_ForTheExactErfGelu()
    {
        var outcome = Check.Evaluate("4.2", (Func<Tensor, Tensor>)(x => functional.gelu(x)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("GELU of linspace(-6, 6, 241): max abs difference");
    }

    [Fact]
    public void Gelu_ReportsTheFirstWrongElement_ForReLU()
    {
        var outcome = Check.Evaluate("4.2", (Func<Tensor, Tensor>)(x => functional.relu(x)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("GELU of linspace(-6, 6, 241): max abs difference").And.Contain("first wrong element at [");
    }

    // 4.3 — transformer block

    private sealed class TestBlock : Module<Tensor, Tensor>
    {
        private readonly MultiHeadAttention att;
        private readonly FeedForward ff;
        private readonly LayerNorm norm1;
        private readonly LayerNorm norm2;
        private readonly Module<Tensor, Tensor> drop_shortcut;
        private readonly string _variant;

        public TestBlock(GptConfig c, string variant = "pre-norm") : base("Block")
        {
            att = new MultiHeadAttention(c.EmbDim, c.EmbDim, c.ContextLength, c.DropRate, c.NHeads, c.QkvBias);
            ff = new FeedForward(c);
            norm1 = new LayerNorm(c.EmbDim);
            norm2 = new LayerNorm(c.EmbDim);
            drop_shortcut = Dropout(c.DropRate);
            _variant = variant;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => _variant switch
        {
            "post-norm" => Post(Post(x, att, norm1), ff, norm2),
            "no shortcut" => drop_shortcut.call(ff.call(norm2.call(drop_shortcut.call(att.call(norm1.call(x)))))),
            _ => Pre(Pre(x, att, norm1), ff, norm2),
        };

        private Tensor Pre(Tensor x, Module<Tensor, Tensor> layer, LayerNorm norm) => x + drop_shortcut.call(layer.call(norm.call(x)));

        private Tensor Post(Tensor x, Module<Tensor, Tensor> layer, LayerNorm norm) => norm.call(x + drop_shortcut.call(layer.call(x)));
    }

    [Fact]
    public void TransformerBlock_Passes_ForPreNormWithShortcuts()
    {
        var outcome = Check.Evaluate("4.3", (GptConfig config) => new TestBlock(config));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void TransformerBlock_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("4.3", (Func<GptConfig, Module<Tensor, Tensor>>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("normalise before each sub-layer (pre-norm)");
    }

    [Fact]
    public void TransformerBlock_ReportsTheDifference_ForPostNorm()
    {
        var outcome = Check.Evaluate("4.3", (GptConfig config) => new TestBlock(config, "post-norm"));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("block with EmbDim 32, 2 head(s), ContextLength 32, QkvBias false on a (2, 4, 32) input: max abs difference");
    }

    [Fact]
    public void TransformerBlock_ReportsTheDifference_WithoutShortcuts()
    {
        var outcome = Check.Evaluate("4.3", (GptConfig config) => new TestBlock(config, "no shortcut"));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("on a (2, 4, 32) input: max abs difference");
    }

    // 4.4 — the GPT model

    private sealed class TestGpt : Module<Tensor, Tensor>
    {
        private readonly Embedding tok_emb;
        private readonly Embedding pos_emb;
        private readonly Module<Tensor, Tensor> drop_emb;
        private readonly Sequential trf_blocks;
        private readonly LayerNorm final_norm;
        private readonly Linear out_head;
        private readonly bool _positions;

        public TestGpt(GptConfig c, bool positions = true, bool headBias = false) : base("Gpt")
        {
            tok_emb = Embedding(c.VocabSize, c.EmbDim);
            pos_emb = Embedding(c.ContextLength, c.EmbDim);
            drop_emb = Dropout(c.DropRate);
            trf_blocks = Sequential(Enumerable.Range(0, c.NLayers).Select(_ => new TransformerBlock(c)));
            final_norm = new LayerNorm(c.EmbDim);
            out_head = Linear(c.EmbDim, c.VocabSize, hasBias: headBias);
            _positions = positions;
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids)
        {
            var x = tok_emb.call(ids);                                                   // (b, t, emb)
            if (_positions) x = x + pos_emb.call(arange(ids.shape[1], device: ids.device));
            return out_head.call(final_norm.call(trf_blocks.call(drop_emb.call(x))));    // (b, t, vocab)
        }
    }

    [Fact]
    public void GptModel_Passes_ForEmbeddingsBlocksNormAndHead()
    {
        var outcome = Check.Evaluate("4.4", (GptConfig config) => new TestGpt(config));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void GptModel_Passes_ForTheLibrarysModel()
    {
        Check.Evaluate("4.4", (GptConfig config) => new GptModel(config)).Status.Should().Be("pass");
    }

    [Fact]
    public void GptModel_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("4.4", (Func<GptConfig, Module<Tensor, Tensor>>)(_ => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("pos_emb of arange(t)");
    }

    [Fact]
    public void GptModel_ReportsTheDifference_WithoutPositionEmbeddings()
    {
        var outcome = Check.Evaluate("4.4", (GptConfig config) => new TestGpt(config, positions: false));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("logits of the GPT with EmbDim 32, 2 head(s), ContextLength 32, QkvBias false, vocabulary 50257, 2 layer(s), on (2, 4) token ids: max abs difference");
    }

    [Fact]
    public void GptModel_NamesTheExtraParameter_WhenTheHeadHasABias()
    {
        var outcome = Check.Evaluate("4.4", (GptConfig config) => new TestGpt(config, headBias: true));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("unexpected out_head.bias (50257)").And.NotContain("missing");
    }

    // 4.5 — greedy generation

    private static Tensor GenerateGreedy(GptModel model, Tensor idx, int maxNewTokens, int contextSize, bool crop = true, bool cropFromEnd = true)
    {
        using var _ = no_grad();
        for (var i = 0; i < maxNewTokens; i++)
        {
            var n = idx.shape[1];
            var window = !crop || n <= contextSize ? idx : cropFromEnd ? idx[.., (int)(n - contextSize)..] : idx[.., ..contextSize];
            var logits = model.call(window)[.., -1, ..];                   // (b, vocab)
            idx = cat([idx, logits.argmax(-1, keepdim: true)], dim: 1);    // (b, n + 1)
        }
        return idx;
    }

    [Fact]
    public void Generate_Passes_ForGreedyDecodingWithCropping()
    {
        var outcome = Check.Evaluate("4.5", (GptModel model, Tensor idx, int maxNewTokens, int contextSize) => GenerateGreedy(model, idx, maxNewTokens, contextSize));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Generate_Passes_WithTheKvCache()
    {
        var outcome = Check.Evaluate("4.5", (GptModel model, Tensor idx, int maxNewTokens, int contextSize) =>
            GenerateTextSimple.Generate(model, idx, maxNewTokens, contextSize, useKvCache: true));

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Generate_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("4.5", (Func<GptModel, Tensor, int, int, Tensor>)((_, _, _, _) => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("keep the last contextSize ids");
    }

    [Fact]
    public void Generate_PassesOnTheModelsError_WhenTheInputIsNeverCropped()
    {
        var outcome = Check.Evaluate("4.5", (GptModel model, Tensor idx, int maxNewTokens, int contextSize) => GenerateGreedy(model, idx, maxNewTokens, contextSize, crop: false));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("your code threw ArgumentException: sequence length 9 exceeds ContextLength 8");
    }

    [Fact]
    public void Generate_NamesTheFirstWrongNewToken_WhenTheFirstIdsAreKept()
    {
        var outcome = Check.Evaluate("4.5", (GptModel model, Tensor idx, int maxNewTokens, int contextSize) => GenerateGreedy(model, idx, maxNewTokens, contextSize, cropFromEnd: false));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().MatchRegex(@"ids generated from a \(\d, \d\) prompt, maxNewTokens \d+, contextSize \d \(ContextLength 8\): row \d, position \d+ \(new token \d+\): got \d+, expected \d+");
    }

    [Fact]
    public void Generate_ExplainsTheShape_WhenOnlyTheNewTokensAreReturned()
    {
        var outcome = Check.Evaluate("4.5", (GptModel model, Tensor idx, int maxNewTokens, int contextSize) =>
            GenerateGreedy(model, idx, maxNewTokens, contextSize)[.., (int)idx.shape[1]..]);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("shape (1, 5), expected (1, 6) (the 1 prompt ids followed by 5 new ones)");
    }

    // 4.6 — parameters of GPT-2 medium

    [Fact]
    public void Gpt2MediumParameterCount_Passes_ForTheBooksUntiedModel()
    {
        Check.Evaluate("4.6", () => 406_212_608L).Status.Should().Be("pass");
    }

    [Fact]
    public void Gpt2MediumParameterCount_Passes_ForTheFormula()
    {
        const long e = 1024, vocab = 50257, context = 1024, layers = 24;
        var block = (4 * e * e + e) + (8 * e * e + 5 * e) + 4 * e;
        Check.Evaluate("4.6", () => vocab * e + context * e + layers * block + 2 * e + e * vocab).Status.Should().Be("pass");
    }

    [Fact]
    public void Gpt2MediumParameterCount_Fails_WithTheHint_WhenNotImplemented()
    {
        var outcome = Check.Evaluate("4.6", (Func<long>)(() => throw new NotImplementedException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("multiply by the layers");
    }

    [Fact]
    public void Gpt2MediumParameterCount_NamesTheSlip_ForTheTiedCount()
    {
        var outcome = Check.Evaluate("4.6", () => 406_212_608L - 50257L * 1024);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("354,749,440 is too low: that is GPT-2's count with out_head tied to tok_emb").And.NotContain("406,212,608");
    }

    [Fact]
    public void Gpt2MediumParameterCount_NamesTheSlip_WhenLayerNormsAreLeftOut()
    {
        var outcome = Check.Evaluate("4.6", () => 406_212_608L - 24 * 4 * 1024 - 2 * 1024);

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("is too low: every LayerNorm has a scale and a shift");
    }
}
