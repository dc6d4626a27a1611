using LlmFromScratch.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Chapter 1 (understanding LLMs): the two ideas the chapter rests on, made checkable. Labels come from the text
/// itself (next-token examples, how many a text yields) and a GPT may only look backwards (the causal mask, and
/// the attention weights it produces).
/// </summary>
public static class Chapter01Exercises
{
    public static IEnumerable<Exercise> All =>
    [
        new("1.1", "next-token examples: every (context, next token) pair, the context cut to contextSize tokens",
            "for each position i ≥ 1 the next token is tokenIds[i] and the context is the up to contextSize tokens just before it",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int[] Ids, int ContextSize)>
                {
                    ([7], 3),                                  // one token: nothing to predict
                    ([4, 8, 15, 16, 23, 42], 10),              // context longer than the text: whole prefixes
                    ([4, 8, 15, 16, 23, 42], 1),               // context 1: pairs of neighbours
                    ([4, 8, 15, 16, 23, 42], 3),
                };
                for (var i = 0; i < 4; i++)
                    cases.Add((RandomIds(random, random.Next(2, 40)), random.Next(1, 12)));
                foreach (var (ids, contextSize) in cases)
                {
                    var got = Learner.Call<(int[] Context, int Next)[]>(answer, ids.ToArray(), contextSize);
                    var expected = NextTokenExamples(ids, contextSize);
                    var what = $"examples of {CompareText.List(ids)} ({ids.Length} tokens) with contextSize {contextSize}";
                    if (got is null) throw new Mismatch($"{what}: got null, expected {expected.Length} examples");
                    if (got.Length != expected.Length)
                        throw new Mismatch($"{what}: {got.Length} examples, expected {expected.Length} (one per token after the first)");
                    for (var e = 0; e < got.Length; e++)
                        Compare.Values(got[e].Next, expected[e].Next, $"{what}: next token of example {e}");
                    CompareText.Rows<int>(got.Select(g => g.Context).ToArray(), expected.Select(x => x.Context).ToArray(), $"{what}: contexts", "example");
                }
            }),
        new("1.2", "how many predictions one pass over n tokens trains, in windows of k started at every token",
            "count the windows first: one may start wherever k + 1 tokens remain (its k inputs and one more target); each window holds k predictions",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int N, int K)> { (5, 4), (4, 4), (3, 4), (5145, 4), (20, 1), (1000, 256) };
                for (var i = 0; i < 6; i++)
                    cases.Add((random.Next(1, 3000), random.Next(1, 64)));
                foreach (var (n, k) in cases)
                {
                    var got = Convert.ToInt64(Learner.Call<object>(answer, n, k));
                    Compare.Values(got, PredictionTasks(n, k), $"predictions for n = {n} tokens, k = {k}");
                }
            }),
        new("1.3", "the causal mask: a (t, t) bool tensor, true where the key comes after the query",
            "true strictly above the diagonal (row = query i, column = key j, true where j > i); compare arange(t) as a row with arange(t) as a column",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                foreach (var t in new[] { 1, 2, 4, random.Next(5, 17), random.Next(17, 65) })
                {
                    using var scope = NewDisposeScope();
                    var expected = triu(ones(t, t, dtype: ScalarType.Bool), diagonal: 1);   // (t, t)
                    Compare.Tensors(Learner.Call<Tensor>(answer, t), expected, $"causal mask for t = {t}");
                }
            }),
        new("1.4", "causal attention weights: a softmax over (…, t, t) scores with later keys hidden",
            "fill the masked scores with −∞ before the softmax (not after it), so each row still sums to 1",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                foreach (var shape in new long[][] { [1, 1], [4, 4], [2, 5, 5], [2, 3, 6, 6], [random.Next(2, 12), random.Next(2, 12)] })
                {
                    if (shape.Length == 2) shape[1] = shape[0];   // square: one row per query, one column per key
                    using var scope = NewDisposeScope();
                    var scores = randn(shape) * 3;
                    var t = shape[^1];
                    var future = triu(ones(t, t, dtype: ScalarType.Bool), diagonal: 1);           // (t, t)
                    var expected = softmax(scores.masked_fill(future, double.NegativeInfinity), -1); // (…, t, t)
                    Compare.Tensors(Learner.Call<Tensor>(answer, scores.clone()), expected, $"causal weights of a {string.Join("x", shape)} score tensor");
                }
            }),
    ];

    private static int[] RandomIds(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => random.Next(Gpt2Tokenizer.VocabSize)).ToArray();

    // Position i (from 1) is one example: the next token is ids[i], the model sees at most contextSize tokens before it.
    private static (int[] Context, int Next)[] NextTokenExamples(int[] ids, int contextSize) =>
        Enumerable.Range(1, Math.Max(0, ids.Length - 1))
            .Select(i => (ids[Math.Max(0, i - contextSize)..i], ids[i]))
            .ToArray();

    // Counted by the library's dataset (stride 1), not by a formula: windows × tokens per window.
    private static long PredictionTasks(int n, int k)
    {
        if (n < k + 1) return 0;   // too short for one window (GptDatasetV1 would refuse it)
        var dataset = new GptDatasetV1(new int[n], k, stride: 1);
        return (long)dataset.Count * k;
    }
}
