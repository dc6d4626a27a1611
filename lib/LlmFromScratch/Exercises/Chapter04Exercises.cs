using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Chapter 4 (implementing a GPT model): layer normalisation, GELU, the transformer block, the GPT model, greedy
/// generation and the size of GPT-2 medium, each checked against <c>LlmFromScratch.Model</c> and
/// <c>LlmFromScratch.Generation</c> on small random configurations (modules get the library's weights copied in,
/// and run in eval mode so dropout is off).
/// </summary>
public static class Chapter04Exercises
{
    public static IEnumerable<Exercise> All =>
    [
        new("4.1", "layer normalisation over the last dimension, with a scale and a shift",
            "mean and biased variance (unbiased: false) over the last dimension with keepdim: true; add ε = 1e-5 to the variance before the square root, then scale and shift",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                // First a constant row: its variance is 0, so only ε keeps the division defined.
                using (NewDisposeScope())
                    CheckLayerNorm(answer, cat([full(1, 6, 3.5f), randn(2, 6) * 2 + 1]), "a (3, 6) batch whose first row is constant");
                var cases = new List<(long[] Shape, string What)>
                {
                    ([2, 5], "the book's (2, 5) batch"),
                    ([3, 1], "a last dimension of size 1"),
                    ([2, 3, 8], "a (2, 3, 8) batch"),
                };
                for (var i = 0; i < 2; i++) cases.Add(([random.Next(1, 4), random.Next(1, 9), random.Next(2, 65)], "random activations"));
                foreach (var (shape, what) in cases)
                {
                    using var scope = NewDisposeScope();
                    CheckLayerNorm(answer, randn(shape) * 2 + 1, $"{what}, shape {string.Join("x", shape)}");
                }
            }),
        new("4.2", "GELU with GPT-2's tanh approximation",
            "0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), elementwise; Math.Sqrt(2 / Math.PI) is a double, tensor operators accept it",
            answer =>
            {
                using var scope = NewDisposeScope();
                using var gelu = new Gelu();
                var cases = new List<(Tensor X, string What)>
                {
                    (linspace(-6, 6, 241), "linspace(-6, 6, 241)"),
                    (tensor(new[] { 0f }), "x = 0"),
                    (tensor(new[] { -30f, -10f, 10f, 30f }), "large inputs ±10, ±30"),
                    (randn(2, 3, 7) * 3, "a random (2, 3, 7) tensor"),
                };
                foreach (var (x, what) in cases)
                    ReferenceChecks.Tensors(Learner.Call<Tensor>(answer, x.clone()), gelu.call(x), $"GELU of {what}");
            }),
        new("4.3", "the transformer block's forward: pre-norm attention and feed-forward, each with dropout and a shortcut",
            "normalise before each sub-layer (pre-norm); after the sub-layer and drop_shortcut, add the sub-layer's un-normalised input back (the shortcut); the feed-forward reads the result of the attention step",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(GptConfig Config, int B, int T)> { (GptConfig.Tiny, 2, 4), (GptConfig.Tiny, 1, 1) };
                for (var i = 0; i < 3; i++)
                {
                    var config = RandomConfig(random);
                    cases.Add((config, random.Next(1, 4), random.Next(1, config.ContextLength + 1)));
                }
                foreach (var (config, b, t) in cases)
                {
                    using var scope = NewDisposeScope();
                    var what = $"block with {Describe(config)} on a ({b}, {t}, {config.EmbDim}) input";
                    using var learner = ReferenceChecks.Build(answer, what, config);
                    using var reference = new TransformerBlock(config);
                    ReferenceChecks.CopyParameters(reference, learner, what);
                    reference.eval();
                    learner.eval();
                    var x = randn(b, t, config.EmbDim);
                    using var _ = no_grad();
                    ReferenceChecks.Tensors(learner.call(x.clone()), reference.call(x), what);
                }
            }),
        new("4.4", "the GPT model as a module: token and position embeddings, dropout, the blocks, a final norm and the output head",
            "tok_emb of the ids plus pos_emb of arange(t) (on the ids' device), then drop_emb, trf_blocks, final_norm and out_head (a Linear without bias); name the fields like the book's state-dict keys",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(GptConfig Config, int B, int T)> { (GptConfig.Tiny, 2, 4), (GptConfig.Tiny, 1, GptConfig.Tiny.ContextLength) };
                for (var i = 0; i < 3; i++)
                {
                    var config = RandomConfig(random);
                    cases.Add((config, random.Next(1, 4), i == 0 ? 1 : random.Next(1, config.ContextLength + 1)));
                }
                foreach (var (config, b, t) in cases)
                {
                    using var scope = NewDisposeScope();
                    var what = $"GPT with {Describe(config)}, vocabulary {config.VocabSize}, {config.NLayers} layer(s), on ({b}, {t}) token ids";
                    using var learner = ReferenceChecks.Build(answer, what, config);
                    using var reference = new GptModel(config);
                    ReferenceChecks.CopyParameters(reference, learner, what);
                    reference.eval();
                    learner.eval();
                    var ids = randint(0, config.VocabSize, [b, t], dtype: int64);
                    using var _ = no_grad();
                    ReferenceChecks.Tensors(learner.call(ids.clone()), reference.call(ids), $"logits of the {what}");
                }
            }),
        new("4.5", "greedy generation: append the most likely next token maxNewTokens times, cropping the input to contextSize",
            "each step: keep the last contextSize ids, run the model, take the logits at the last position, argmax(-1, keepdim: true), cat onto the ids along dim 1",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int B, int N, int MaxNew, int ContextSize)>
                {
                    (1, 1, 5, 8),     // a one-token prompt
                    (2, 3, 0, 8),     // nothing to generate: the prompt comes back
                    (1, 4, 10, 8),    // runs past ContextLength: only the last 8 ids fit
                    (2, 6, 5, 3),     // a window shorter than the prompt
                };
                for (var i = 0; i < 2; i++) cases.Add((random.Next(1, 4), random.Next(1, 9), random.Next(1, 13), random.Next(1, 9)));
                var configs = new[]
                {
                    new GptConfig(vocabSize: 64, contextLength: 8, embDim: 8, nHeads: 2, nLayers: 1, dropRate: 0.1, qkvBias: false),
                    new GptConfig(vocabSize: 97, contextLength: 8, embDim: 12, nHeads: 3, nLayers: 2, dropRate: 0.1, qkvBias: true),
                };
                for (var c = 0; c < cases.Count; c++)
                {
                    var (b, n, maxNew, contextSize) = cases[c];
                    var config = configs[c % configs.Length];
                    using var scope = NewDisposeScope();
                    using var model = new GptModel(config);
                    model.eval();
                    var prompt = randint(0, config.VocabSize, [b, n], dtype: int64);
                    var expected = GenerateTextSimple.Generate(model, prompt, maxNew, contextSize);
                    var got = Learner.Call<Tensor>(answer, model, prompt.clone(), maxNew, contextSize);
                    CompareGenerated(got, expected, n,
                        $"ids generated from a ({b}, {n}) prompt, maxNewTokens {maxNew}, contextSize {contextSize} (ContextLength {config.ContextLength})");
                }
            }),
        new("4.6", "the number of parameters of GPT-2 medium (EmbDim 1024, 24 layers, 16 heads, context 1024, the book's separate output head)",
            "count one transformer block (attention, feed-forward, two layer norms) and multiply by the layers; add both embedding tables, the final norm and the output head",
            answer =>
            {
                var config = GptConfig.Gpt355M;
                var expected = ModelSize.ParameterCount(config);
                long e = config.EmbDim;
                ReferenceChecks.Count(Learner.Call<object>(answer), expected, "parameters of GPT-2 medium",
                    (ModelSize.ParameterCountWithTiedHead(config), "that is GPT-2's count with out_head tied to tok_emb; the book's GptModel has its own out_head"),
                    (ModelSize.ParameterCount(config with { QkvBias = true }), "that includes biases for W_query, W_key and W_value, but qkv_bias is false"),
                    (expected - (long)config.ContextLength * e, "pos_emb, the position embedding table, has ContextLength × EmbDim parameters"),
                    (expected - 2 * e, "the final LayerNorm has a scale and a shift too"),
                    (expected - config.NLayers * 4 * e - 2 * e, "every LayerNorm has a scale and a shift (two per block, one at the end)"));
            }),
    ];

    private static void CheckLayerNorm(Delegate answer, Tensor x, string what)
    {
        var dim = (int)x.shape[^1];
        using var reference = new LayerNorm(dim);
        var parameters = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            parameters["scale"].copy_(rand(dim) + 0.5);
            parameters["shift"].copy_(randn(dim));
        }
        Tensor expected;
        using (no_grad())
            expected = reference.call(x);
        var got = Learner.Call<Tensor>(answer, x.clone(), parameters["scale"].detach().clone(), parameters["shift"].detach().clone());
        ReferenceChecks.Tensors(got, expected, $"layer norm of {what} (random scale and shift)");
    }

    /// <summary>A small random GPT configuration: 1–3 heads of 1–6 features, context 2–12, 1–2 layers.</summary>
    private static GptConfig RandomConfig(Random random)
    {
        var heads = random.Next(1, 4);
        return new GptConfig(vocabSize: random.Next(20, 301), contextLength: random.Next(2, 13), embDim: heads * random.Next(1, 7),
            nHeads: heads, nLayers: random.Next(1, 3), dropRate: 0.1, qkvBias: random.Next(2) == 0);
    }

    private static string Describe(GptConfig c) =>
        $"EmbDim {c.EmbDim}, {c.NHeads} head(s), ContextLength {c.ContextLength}, QkvBias {c.QkvBias.ToString().ToLowerInvariant()}";

    private static void CompareGenerated(Tensor got, Tensor expected, int promptLength, string what)
    {
        if (got is null) throw new Mismatch($"{what}: got null, expected a tensor of shape {ReferenceChecks.Shape(expected)}");
        var newTokens = expected.shape[1] - promptLength;
        if (!got.shape.SequenceEqual(expected.shape))
            throw new Mismatch($"{what}: shape {ReferenceChecks.Shape(got)}, expected {ReferenceChecks.Shape(expected)} " +
                               $"(the {promptLength} prompt ids followed by {newTokens} new ones)");
        if (got.dtype != ScalarType.Int64) throw new Mismatch($"{what}: dtype {got.dtype}, expected Int64 token ids");
        var (g, e) = (got.cpu().data<long>().ToArray(), expected.data<long>().ToArray());
        var width = (int)expected.shape[1];
        for (var i = 0; i < e.Length; i++)
        {
            if (g[i] == e[i]) continue;
            var (row, position) = (i / width, i % width);
            throw new Mismatch($"{what}: row {row}, position {position} " +
                               (position < promptLength ? "(part of the prompt, which should come back unchanged)" : $"(new token {position - promptLength + 1})") +
                               $": got {g[i]}, expected {e[i]}");
        }
    }
}
