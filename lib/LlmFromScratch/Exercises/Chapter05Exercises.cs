using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using LlmFromScratch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Chapter 5 (pretraining on unlabeled data): the loss and what it means, the two knobs of sampling, and the loss
/// averaged over a loader, each checked against <c>LlmFromScratch.Training</c> / <c>LlmFromScratch.Generation</c>
/// (or PyTorch's own <c>cross_entropy</c>) on freshly drawn logits, targets and a freshly initialised Tiny GPT.
/// </summary>
public static class Chapter05Exercises
{
    // The book's next_token_logits of section 5.3.1 (vocabulary "closer", "every", "effort", …, "toward").
    private static readonly float[] BookLogits = [4.51f, 0.89f, -1.90f, 6.75f, 1.63f, -1.62f, -1.89f, 6.28f, 1.79f];

    public static IEnumerable<Exercise> All =>
    [
        new("5.1", "cross-entropy by hand: mean −log p(target) over every position of (b, t, vocab) logits",
            "log_softmax over the last dimension, gather each target's log-probability, average over all b·t positions, negate",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(long B, long T, long Vocab, double Scale)>
                {
                    (1, 1, 7, 1), (2, 3, 5, 1), (2, 4, 50257, 1),
                    (2, 3, 11, 100),   // large logits: exp overflows float32 unless the maximum is subtracted
                };
                for (var i = 0; i < 3; i++) cases.Add((random.Next(1, 5), random.Next(1, 9), random.Next(2, 500), random.NextDouble() * 5));
                foreach (var (b, t, vocab, scale) in cases)
                {
                    using var scope = NewDisposeScope();
                    var logits = randn(b, t, vocab) * scale;                                       // (b, t, vocab)
                    var targets = randint(0, vocab, [b, t], dtype: int64);                         // (b, t)
                    var expected = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten());   // ()
                    ReferenceChecks.Tensors(Learner.Call<Tensor>(answer, logits.clone(), targets.clone()), expected,
                        $"loss of ({b}, {t}, {vocab}) logits{(scale > 10 ? $" scaled by {scale}" : "")}", atol: 1e-4);
                }
            }),
        new("5.2", "perplexity: exp of the mean cross-entropy, as a double",
            "compute the loss as in 5.1 (or with cross_entropy on the flattened logits and targets), read it with item<float>() and take Math.Exp",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(Tensor Logits, Tensor Targets, string What)>
                {
                    (zeros(1, 4, 50257), randint(0, 50257, [1, 4], dtype: int64), "uniform logits over 50257 tokens (perplexity = vocabulary size)"),
                };
                for (var i = 0; i < 4; i++)
                {
                    long b = random.Next(1, 4), t = random.Next(1, 8), vocab = random.Next(2, 300);
                    cases.Add((randn(b, t, vocab) * 2, randint(0, vocab, [b, t], dtype: int64), $"random ({b}, {t}, {vocab}) logits"));
                }
                foreach (var (logits, targets, what) in cases)
                {
                    using (logits)
                    using (targets)
                    using (var loss = nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten()))
                    {
                        var expected = Losses.Perplexity(loss.item<float>());
                        var got = Convert.ToDouble(Learner.Call<object>(answer, logits.clone(), targets.clone()));
                        CompareNumbers.Close(got, expected, $"perplexity of {what}", rtol: 1e-4);
                    }
                }
            }),
        new("5.3", "top-k filtering: keep each row's k largest logits of (b, vocab), set the rest to −∞",
            "find each row's k-th largest value with topk, then masked_fill every logit below it with double.NegativeInfinity (ties with it stay)",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(Tensor Logits, int K, string What)>
                {
                    (tensor(BookLogits).unsqueeze(0), 3, "the book's next_token_logits"),
                    (tensor(new float[] { 1, 3, 2, 2, 0 }).unsqueeze(0), 2, "a row with a tie at the k-th value"),
                    (randn(2, 6), 1, "k = 1"),
                    (randn(2, 6), 6, "k = vocabulary size"),
                    (randn(1, 5), 50, "k above the vocabulary size (nothing is dropped)"),
                };
                for (var i = 0; i < 3; i++)
                {
                    int b = random.Next(1, 5), vocab = random.Next(2, 1000);
                    cases.Add((randn(b, vocab) * 3, random.Next(1, vocab + 1), $"random ({b}, {vocab}) logits"));
                }
                foreach (var (logits, k, what) in cases)
                {
                    using (logits)
                    using (var expected = Sampling.TopK(logits, k))
                        CompareFiltered(Learner.Call<Tensor>(answer, logits.clone(), k), expected, $"top-{k} of {what}");
                }
            }),
        new("5.4", "the sampling distribution at temperature T: softmax(logits / T) over (b, vocab); T = 0 puts all of it on the argmax",
            "divide the logits by the temperature before the softmax over the last dimension; for T = 0 (greedy) return a one-hot of argmax",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(Tensor Logits, double T, string What)>
                {
                    (tensor(BookLogits).unsqueeze(0), 1, "the book's logits"),
                    (tensor(BookLogits).unsqueeze(0), 0.1, "the book's logits"),
                    (tensor(BookLogits).unsqueeze(0), 5, "the book's logits"),
                    (randn(2, 7) * 50, 0.1, "large logits (exp overflows without the maximum subtracted)"),
                    (randn(3, 10), 0, "random logits, greedy"),
                };
                for (var i = 0; i < 3; i++)
                {
                    int b = random.Next(1, 5), vocab = random.Next(2, 600);
                    cases.Add((randn(b, vocab) * 3, 0.05 + random.NextDouble() * 3, $"random ({b}, {vocab}) logits"));
                }
                foreach (var (logits, temperature, what) in cases)
                {
                    using var scope = NewDisposeScope();
                    var expected = temperature == 0
                        ? nn.functional.one_hot(Sampling.NextToken(logits, 0).squeeze(-1), logits.shape[1]).to(logits.dtype)   // (b, vocab)
                        : softmax(logits / temperature, -1);                                                                   // (b, vocab)
                    ReferenceChecks.Tensors(Learner.Call<Tensor>(answer, logits.clone(), temperature), expected,
                        $"probabilities of {what} at temperature {temperature:0.###}");
                }
            }),
        new("5.5", "the loss over a loader: the mean of the first numBatches batch losses (all when null)",
            "for each of the first min(numBatches, batch count) batches compute the mean cross-entropy of model(inputs) against targets; average those batch means; no batches gives double.NaN",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                using var model = new GptModel(GptConfig.Tiny);
                model.eval();
                var t = random.Next(2, GptConfig.Tiny.ContextLength + 1);
                var vocab = GptConfig.Tiny.VocabSize;
                var batches = new[] { 2, 2, 2, 1 }
                    .Select(b => (Inputs: randint(0, vocab, [b, t], dtype: int64), Targets: randint(0, vocab, [b, t], dtype: int64)))
                    .ToArray();
                // The short last batch gets the model's own predictions as targets, so its loss is far below the
                // others' and a mean over all tokens would clearly differ from the book's mean of batch means.
                using (no_grad())
                using (NewDisposeScope())
                {
                    foreach (var p in model.OutHead.parameters()) p.mul_(20);
                    var (lastInputs, lastTargets) = batches[^1];
                    lastTargets.copy_(model.call(lastInputs).argmax(-1));
                }
                try
                {
                    foreach (var (count, numBatches) in new (int, int?)[] { (4, null), (4, 2), (4, 10), (3, null), (0, null), (0, 3) })
                    {
                        var loader = batches[..count];
                        var expected = Losses.CalcLossLoader(loader, model, CPU, numBatches);
                        var got = Convert.ToDouble(Learner.Call<object>(answer, loader.ToArray(), model, numBatches));
                        var sizes = count == 0 ? "an empty loader" : $"{count} batches of ({string.Join(", ", loader.Select(l => l.Inputs.shape[0]))}) × {t} tokens";
                        CompareNumbers.Close(got, expected, $"loss over {sizes} with numBatches {numBatches?.ToString() ?? "null"}", rtol: 1e-4);
                    }
                }
                finally
                {
                    foreach (var (inputs, targets) in batches)
                    {
                        inputs.Dispose();
                        targets.Dispose();
                    }
                }
            }),
        new("5.6", "the loss an untrained GPT-2 should start near: cross-entropy when all 50257 tokens are equally likely",
            "each target gets probability 1/50257; the loss is −log of that",
            answer =>
            {
                using var uniform = zeros(1, 50257);                              // equal logits: equal probabilities
                using var target = tensor(new long[] { 0 });
                using var loss = nn.functional.cross_entropy(uniform, target);
                var expected = (double)loss.item<float>();
                var got = Convert.ToDouble(Learner.Call<object>(answer));
                if (Math.Abs(got - expected) <= 1e-3) return;
                var why = Math.Abs(got - 50257) < 1 ? ": that is the perplexity, exp of the loss"
                    : Math.Abs(got - Math.Log10(50257)) < 1e-3 ? ": cross-entropy uses the natural logarithm"
                    : Math.Abs(got + expected) < 1e-3 ? ": the loss is the negative log-probability"
                    : "";
                throw new Mismatch($"loss of a uniform prediction over 50257 tokens: {got:G6} is too {(got > expected ? "high" : "low")}{why}");
            }),
    ];

    // Top-k results hold −∞, where a difference is NaN: compare the kept set first, then the kept values.
    private static void CompareFiltered(Tensor got, Tensor expected, string what)
    {
        if (got is null || !got.shape.SequenceEqual(expected.shape) || got.dtype != expected.dtype)
            ReferenceChecks.Tensors(got!, expected, what);   // names the missing tensor, the shape or the dtype
        using var scope = NewDisposeScope();
        var keptGot = got!.isfinite();                                                        // (b, vocab)
        var keptExpected = expected.isfinite();                                              // (b, vocab)
        var wrong = keptGot.ne(keptExpected);
        if (wrong.any().item<bool>())
        {
            var flat = wrong.flatten().nonzero()[0, 0].item<long>();
            var vocab = expected.shape[1];
            long row = flat / vocab, column = flat % vocab;
            throw new Mismatch(
                $"{what}: row {row} keeps {keptGot[row].sum().item<long>()} logits, expected {keptExpected[row].sum().item<long>()}; " +
                $"element [{row}, {column}] is {Show(got[row, column].item<float>())}, expected {Show(expected[row, column].item<float>())}");
        }
        var dropped = got.masked_select(keptExpected.logical_not());
        if (!dropped.eq(double.NegativeInfinity).all().item<bool>())
            throw new Mismatch($"{what}: dropped logits must be −∞ (softmax then gives them probability 0); found {Show(dropped.masked_select(dropped.ne(double.NegativeInfinity))[0].item<float>())}");
        ReferenceChecks.Tensors(where(keptExpected, got, zeros_like(got)), where(keptExpected, expected, zeros_like(expected)), $"{what}, kept logits");
    }

    private static string Show(float value) => float.IsNegativeInfinity(value) ? "−∞" : value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
}
