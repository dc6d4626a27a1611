using LlmFromScratch.Finetuning;
using LlmFromScratch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Chapter 6 (fine-tuning for classification): the head swap with the book's freezing, last-token accuracy, and the
/// padded batches the classifier reads, each checked against <c>LlmFromScratch.Finetuning</c> on freshly built Tiny
/// GPTs and freshly drawn logits and token lists.
/// </summary>
public static class Chapter06Exercises
{
    public static IEnumerable<Exercise> All =>
    [
        new("6.1", "the classifier: freeze the GPT, give it a Linear(EmbDim, numClasses) out_head, unfreeze the last block and final_norm",
            "set requires_grad = false on every parameter, ModuleSurgery.ReplaceChild(model, \"out_head\", nn.Linear(…)), then requires_grad = true on trf_blocks.{NLayers − 1}.* and final_norm.*",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                foreach (var (layers, classes) in new[] { (2, 2), (1, 3), (random.Next(2, 4), random.Next(2, 6)) })
                {
                    var config = GptConfig.Tiny with { NLayers = layers };
                    var what = $"a Tiny GPT with {layers} block{(layers > 1 ? "s" : "")} and {classes} classes";
                    using var given = new GptModel(config);
                    using var reference = new GptModel(config);
                    var got = Learner.Call<GptModel>(answer, given, classes)
                        ?? throw new Mismatch($"{what}: got null, expected the modified model");
                    ClassificationHead.Replace(reference, classes);

                    var gotParameters = got.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                    foreach (var (name, expected) in reference.named_parameters())
                    {
                        if (!gotParameters.TryGetValue(name, out var parameter))
                            throw new Mismatch($"{what}: the model has no parameter '{name}' (shape ({string.Join(", ", expected.shape)})); the new head is a Linear with a bias");
                        if (!parameter.shape.SequenceEqual(expected.shape))
                            throw new Mismatch($"{what}: '{name}' has shape ({string.Join(", ", parameter.shape)}), expected ({string.Join(", ", expected.shape)})");
                        if (parameter.requires_grad != expected.requires_grad)
                            throw new Mismatch(expected.requires_grad
                                ? $"{what}: '{name}' should train (requires_grad = true) but is frozen"
                                : $"{what}: '{name}' should be frozen but has requires_grad = true");
                    }
                    var extra = gotParameters.Keys.Except(reference.named_parameters().Select(p => p.name)).FirstOrDefault();
                    if (extra is not null) throw new Mismatch($"{what}: the model has a parameter '{extra}' the classifier should not have");

                    // Same weights in both, so the logits show the head is used as a plain Linear.
                    using (no_grad())
                        foreach (var (name, parameter) in reference.named_parameters()) parameter.copy_(gotParameters[name]);
                    got.eval();
                    reference.eval();
                    using var scope = NewDisposeScope();
                    var t = random.Next(1, config.ContextLength + 1);
                    var ids = randint(0, config.VocabSize, [2, t], dtype: int64);   // (2, t)
                    using var _ = no_grad();
                    ReferenceChecks.Tensors(got.call(ids), reference.call(ids), $"{what}: logits of (2, {t}) token ids");
                }
            }),
        new("6.2", "classification accuracy: the fraction of rows whose last token's argmax over the classes equals the label",
            "take logits[.., -1, ..] (the last position has seen the whole text), argmax over the classes, compare with the labels, average",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(Tensor Logits, Tensor Labels, string What)>();
                {
                    // Earlier positions point to the label, the last one never does: only the last token may count.
                    var labels = randint(0, 2, [6], dtype: int64);
                    var logits = randn(6, 4, 2);
                    logits[.., 0, ..] = nn.functional.one_hot(labels, 2).to(float32) * 10;
                    logits[.., -1, ..] = nn.functional.one_hot(1 - labels, 2).to(float32) * 10;
                    cases.Add((logits, labels, "logits whose first token is right and last token wrong"));
                }
                cases.Add((randn(1, 1, 2), randint(0, 2, [1], dtype: int64), "one text of one token"));
                for (var i = 0; i < 4; i++)
                {
                    int b = random.Next(1, 17), t = random.Next(1, 12), classes = random.Next(2, 5);
                    cases.Add((randn(b, t, classes), randint(0, classes, [b], dtype: int64), $"random ({b}, {t}, {classes}) logits"));
                }
                foreach (var (logits, labels, what) in cases)
                {
                    using (logits)
                    using (labels)
                    {
                        var expected = ClassificationMetrics.Accuracy(logits, labels);
                        var got = Convert.ToDouble(Learner.Call<object>(answer, logits.clone(), labels.clone()));
                        CompareNumbers.Close(got, expected, $"accuracy of {what}", rtol: 1e-6);
                    }
                }
            }),
        new("6.3", "one length for all: cut every token list to maxLength (the longest list when null) and pad with 50256",
            "length = maxLength ?? the longest list's count; copy at most that many ids of each list, then fill the rest of the row with 50256",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(int[][] Lists, int? MaxLength)>
                {
                    ([[40, 367, 2885], [1, 2], [7, 7, 7, 7, 7]], null),
                    ([[40, 367, 2885], [1, 2], [7, 7, 7, 7, 7]], 4),
                    ([[5, 6], [], [9]], 1),
                    ([[3, 1, 4, 1, 5]], 8),
                };
                for (var i = 0; i < 4; i++)
                {
                    var lists = Enumerable.Range(0, random.Next(1, 9))
                        .Select(_ => Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(50256)).ToArray())
                        .ToArray();
                    cases.Add((lists, random.Next(3) == 0 ? null : random.Next(1, 50)));
                }
                foreach (var (lists, maxLength) in cases)
                {
                    if (maxLength is null && lists.All(l => l.Length == 0)) continue;
                    // The book's SpamDataset, fed the lists directly (each "text" is the list's index).
                    var data = lists.Select((_, i) => new LabeledText(i.ToString(), 0)).ToList();
                    var dataset = new SpamDataset(data, text => lists[int.Parse(text)], maxLength);
                    var expected = Enumerable.Range(0, dataset.Count).Select(i => dataset.TokensAt(i)).ToList();
                    var got = Learner.Call<int[][]>(answer, lists.Select(l => l.ToArray()).ToArray(), maxLength);
                    var shown = lists.Length <= 3 && lists.All(l => l.Length <= 6)
                        ? string.Join(", ", lists.Select(l => "[" + string.Join(", ", l) + "]"))
                        : $"{lists.Length} lists of {lists.Min(l => l.Length)}–{lists.Max(l => l.Length)} ids";
                    CompareText.Rows<int>(got, expected, $"{shown} with maxLength {maxLength?.ToString() ?? "null"}", "row");
                }
            }),
        new("6.4", "how many parameters train in GPT-2 124M (with OpenAI's query/key/value biases) turned into a 2-class classifier",
            "one transformer block (attention with biases, feed-forward, two layer norms), plus final_norm (scale and shift), plus the new head (weights and biases)",
            answer =>
            {
                var config = GptConfig.Gpt124M with { QkvBias = true };
                var expected = ClassificationHead.TrainableParameterCount(config, 2);
                long e = config.EmbDim, head = e * 2 + 2;
                ReferenceChecks.Count(Learner.Call<object>(answer), expected, "trainable parameters",
                    (expected - 3 * e, "OpenAI's weights have query/key/value biases (QkvBias = true): 3 · 768 more"),
                    (expected - 2, "the new head is a Linear with a bias: 2 more"),
                    (expected - 2 * e, "final_norm (scale and shift, 768 each) trains too"),
                    (head, "the last transformer block and final_norm train too, not only the head"),
                    (expected - head, "the new head (768 · 2 weights + 2 biases) trains too"));
            }),
    ];
}
