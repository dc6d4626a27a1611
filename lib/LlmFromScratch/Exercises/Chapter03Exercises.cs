using LlmFromScratch.Attention;
using LlmFromScratch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Chapter 3 (coding attention mechanisms): attention weights of one query, a causal attention forward pass, a
/// multi-head attention module and its size, each checked against <c>LlmFromScratch.Attention</c> on random
/// inputs, with the library's weights copied into the learner's code.
/// </summary>
public static class Chapter03Exercises
{
    public static IEnumerable<Exercise> All =>
    [
        new("3.1", "attention weights of one query: softmax over its dot products with every input (no trainable weights)",
            "the score of token i is the dot product of inputs[i] with the query row; softmax over the tokens (dim: 0) turns the t scores into weights that sum to 1",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(long[] Shape, double Scale, int Query, string What)>
                {
                    ([1, 3], 1, 0, "a single 3-d token"),
                    ([5, 8], 20, 2, "five 8-d tokens with large values (scores in the thousands: a plain exp overflows)"),
                };
                for (var i = 0; i < 3; i++)
                {
                    var t = random.Next(2, 13);
                    cases.Add(([t, random.Next(1, 17)], 1, random.Next(t), $"{t} random tokens"));
                }
                using (var scope = NewDisposeScope())
                    Check31(answer, BookInputs(), 1, "the book's six 3-d inputs, query 1 (\"journey\")");
                foreach (var (shape, scale, query, what) in cases)
                {
                    using var scope = NewDisposeScope();
                    Check31(answer, randn(shape) * scale, query, $"{what}, shape ({shape[0]}, {shape[1]}), query {query}");
                }
            }),
        new("3.2", "causal self-attention for a (b, t, dIn) batch, given the query, key and value projection weights",
            "a Linear's weight is (dOut, dIn), so project with x.matmul(w.T) (or functional.linear); fill the scores above the diagonal with −∞ before the softmax, and divide the scores by √dOut",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int B, int T, int DIn, int DOut, int Context)>
                {
                    (2, 6, 3, 2, 6),   // the book's batch of two copies of "Your journey starts with one step"
                    (1, 1, 3, 2, 4),   // one token attends only to itself
                    (2, 4, 5, 5, 9),   // fewer tokens than the context
                };
                for (var i = 0; i < 3; i++)
                {
                    var context = random.Next(1, 13);
                    cases.Add((random.Next(1, 4), random.Next(1, context + 1), random.Next(1, 17), random.Next(1, 17), context));
                }
                foreach (var (b, t, dIn, dOut, context) in cases)
                {
                    using var scope = NewDisposeScope();
                    using var reference = new CausalAttention(dIn, dOut, context, dropout: 0.0);
                    reference.eval();
                    var x = b == 2 && t == 6 && dIn == 3 ? stack([BookInputs(), BookInputs()]) : randn(b, t, dIn);
                    var weights = reference.state_dict();
                    Tensor expected;
                    using (no_grad())
                        expected = reference.call(x);   // (b, t, dOut)
                    var got = Learner.Call<Tensor>(answer, x.clone(),
                        weights["W_query.weight"].clone(), weights["W_key.weight"].clone(), weights["W_value.weight"].clone());
                    ReferenceChecks.Tensors(got, expected, $"causal attention of a ({b}, {t}, {dIn}) batch, dOut {dOut}");
                }
            }),
        new("3.3", "multi-head attention as a module: one projection each for queries, keys and values, split into heads, then out_proj",
            "view each (b, t, dOut) projection as (b, t, numHeads, headDim) and transpose to (b, numHeads, t, headDim); after the masked, scaled softmax and the product with the values, transpose back, reshape to (b, t, dOut) and apply out_proj",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int DIn, int DOut, int Context, int Heads, int B, int T)>
                {
                    (3, 2, 6, 2, 2, 6),    // the book's example: two heads of size 1
                    (4, 4, 3, 1, 1, 1),    // one head, one token
                    (6, 8, 5, 8, 2, 5),    // as many heads as features (headDim 1)
                    (5, 12, 7, 3, 3, 4),   // dIn ≠ dOut, fewer tokens than the context
                };
                for (var i = 0; i < 2; i++)
                {
                    var (heads, context) = (random.Next(1, 5), random.Next(1, 11));
                    cases.Add((random.Next(1, 17), heads * random.Next(1, 7), context, heads, random.Next(1, 4), random.Next(1, context + 1)));
                }
                foreach (var (dIn, dOut, context, heads, b, t) in cases)
                {
                    using var scope = NewDisposeScope();
                    var what = $"MultiHeadAttention(dIn {dIn}, dOut {dOut}, contextLength {context}, {heads} heads) on a ({b}, {t}, {dIn}) batch";
                    using var learner = ReferenceChecks.Build(answer, what, dIn, dOut, context, heads);
                    using var explicitPath = new MultiHeadAttention(dIn, dOut, context, dropout: 0.0, heads, useSdpa: false);
                    using var fusedPath = new MultiHeadAttention(dIn, dOut, context, dropout: 0.0, heads, useSdpa: true);
                    ReferenceChecks.CopyParameters(explicitPath, learner, what);
                    ReferenceChecks.CopyParameters(explicitPath, fusedPath, "the library's SDPA module");
                    foreach (var module in new nn.Module[] { learner, explicitPath, fusedPath }) module.eval();
                    var x = randn(b, t, dIn);
                    using var _ = no_grad();
                    var got = learner.call(x.clone());
                    ReferenceChecks.Tensors(got, explicitPath.call(x), $"{what} (against the library's explicit path)");
                    ReferenceChecks.Tensors(got, fusedPath.call(x), $"{what} (against the library's SDPA path)");
                }
            }),
        new("3.4", "the number of parameters of MultiHeadAttention(dIn 768, dOut 768, 12 heads, qkvBias false), one GPT-2 small attention layer",
            "count each Linear's weights (in × out) and, where it has one, its bias (out); does the number of heads change the count?",
            answer =>
            {
                const int e = 768;
                using var mha = new MultiHeadAttention(e, e, contextLength: 1024, dropout: 0.0, numHeads: 12, qkvBias: false);
                var expected = ModelSize.CountParameters(mha);
                ReferenceChecks.Count(Learner.Call<object>(answer), expected, "parameters of MultiHeadAttention(768, 768, 12 heads, qkvBias false)",
                    (expected + 3 * e, "that includes biases for W_query, W_key and W_value, but qkvBias is false"),
                    (expected - e, "out_proj is a Linear with a bias"),
                    (expected - 4 * e * (long)e, "count the weights of all four projections too"),
                    (expected - e * (long)e - e, "out_proj, the Linear that mixes the heads, has parameters too"));
            }),
    ];

    /// <summary>"Your journey starts with one step", embedded in 3-d as in section 3.3.</summary>
    private static Tensor BookInputs() => tensor(new float[,]
    {
        { 0.43f, 0.15f, 0.89f }, { 0.55f, 0.87f, 0.66f }, { 0.57f, 0.85f, 0.64f },
        { 0.22f, 0.58f, 0.33f }, { 0.77f, 0.25f, 0.10f }, { 0.05f, 0.80f, 0.55f },
    });

    private static void Check31(Delegate answer, Tensor inputs, int query, string what)
    {
        var expected = SimplifiedSelfAttention.AttentionWeights(inputs)[query];   // (t)
        ReferenceChecks.Tensors(Learner.Call<Tensor>(answer, inputs.clone(), query), expected, $"attention weights of {what}");
    }
}
