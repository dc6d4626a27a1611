using LlmFromScratch.Finetuning;
using LlmFromScratch.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Exercises;

/// <summary>
/// Appendix E (parameter-efficient fine-tuning with LoRA): the low-rank layer, the wrapper that adds it to a Linear,
/// and what LoRA leaves to train, checked against <c>LlmFromScratch.Finetuning</c> (<see cref="LoRALayer"/>,
/// <see cref="LinearWithLoRA"/>, <see cref="LoRA"/>) with weights copied between the learner's module and the library's.
/// </summary>
public static class AppendixEExercises
{
    public static IEnumerable<Exercise> All =>
    [
        new("E.1", "a LoRA layer: parameters A (in, rank), random, and B (rank, out), zero; forward alpha · x @ A @ B",
            "register A and B as Parameters named \"A\" and \"B\" (A with kaiming_uniform_(a: √5), B with zeros), then return alpha * x.matmul(A).matmul(B)",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(long In, long Out, long Rank, double Alpha)> { (4, 3, 2, 1.5), (8, 8, 1, 16), (5, 2, 8, 0.5) };
                for (var i = 0; i < 2; i++) cases.Add((random.Next(1, 40), random.Next(1, 40), random.Next(1, 17), random.NextDouble() * 16));
                foreach (var (inDim, outDim, rank, alpha) in cases)
                {
                    using var scope = NewDisposeScope();
                    var what = $"LoRA layer ({inDim} → {outDim}, rank {rank}, alpha {alpha:0.##})";
                    var got = ReferenceChecks.Build(answer, what, inDim, outDim, rank, alpha);
                    using var reference = new LoRALayer(inDim, outDim, rank, alpha);
                    var x = randn(3, random.Next(1, 6), inDim);                                      // (3, t, in)
                    using (no_grad())
                    {
                        ReferenceChecks.Tensors(got.call(x), zeros(3, x.shape[1], outDim), $"{what}: output of a fresh layer (B starts at zero, so it adds nothing)");
                        var a = got.named_parameters().FirstOrDefault(p => p.name == "A").parameter;
                        if (a is not null && a.abs().sum().item<float>() == 0)
                            throw new Mismatch($"{what}: A starts all zero; with A and B both zero neither ever gets a gradient");
                    }
                    RandomizeLoRA(reference);
                    ReferenceChecks.CopyParameters(reference, got, what);
                    using (no_grad())
                    {
                        ReferenceChecks.Tensors(got.call(x), reference.call(x), $"{what}: output for a (3, {x.shape[1]}, {inDim}) input with random A and B", atol: 1e-4);
                        var x2 = randn(5, inDim);                                                       // (5, in)
                        ReferenceChecks.Tensors(got.call(x2), reference.call(x2), $"{what}: output for a (5, {inDim}) input", atol: 1e-4);
                    }
                }
            }),
        new("E.2", "LinearWithLoRA: a wrapper whose forward is linear(x) + lora(x), with children named linear and lora",
            "keep the given Linear as field linear, make a LoRA layer (linear.in_features → linear.out_features) as field lora, RegisterComponents(), return linear.call(x) + lora.call(x)",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<(long In, long Out, long Rank, double Alpha)> { (6, 4, 2, 2), (16, 16, 16, 16) };
                for (var i = 0; i < 2; i++) cases.Add((random.Next(1, 40), random.Next(1, 40), random.Next(1, 9), random.NextDouble() * 16));
                foreach (var (inDim, outDim, rank, alpha) in cases)
                {
                    using var scope = NewDisposeScope();
                    var what = $"Linear({inDim}, {outDim}) with LoRA rank {rank}, alpha {alpha:0.##}";
                    var linear = nn.Linear(inDim, outDim);
                    var x = randn(2, random.Next(1, 6), inDim);                                      // (2, t, in)
                    Tensor plain;
                    using (no_grad()) plain = linear.call(x);                                       // (2, t, out)
                    var got = ReferenceChecks.Build(answer, what, linear, rank, alpha);
                    using (no_grad())
                        ReferenceChecks.Tensors(got.call(x), plain, $"{what}: output of a freshly wrapped layer (must equal the Linear's own)", atol: 1e-5);
                    using var reference = new LinearWithLoRA(nn.Linear(inDim, outDim), rank, alpha);
                    RandomizeLoRA(reference);
                    ReferenceChecks.CopyParameters(reference, got, what);
                    using (no_grad())
                        ReferenceChecks.Tensors(got.call(x), reference.call(x), $"{what}: output for a (2, {x.shape[1]}, {inDim}) input with random A and B", atol: 1e-4);
                }
            }),
        new("E.3", "LoRA's trainable parameters: the count after freezing a network of Linear layers (in, out) and wrapping each with rank-r LoRA",
            "the frozen weights and biases no longer count; each wrapped layer adds A (in × rank) and B (rank × out)",
            answer =>
            {
                var random = new Random(Environment.TickCount);
                var cases = new List<((int In, int Out)[] Shapes, int Rank)>
                {
                    ([(768, 768)], 16),
                    ([(768, 3072), (3072, 768)], 8),
                    ([(50, 30), (30, 20), (20, 3)], 2),
                    ([(4, 2)], 64),   // a rank above both dimensions still counts rank · (in + out)
                };
                for (var i = 0; i < 3; i++)
                    cases.Add((Enumerable.Range(0, random.Next(1, 6)).Select(_ => (random.Next(1, 300), random.Next(1, 300))).ToArray(), random.Next(1, 33)));
                foreach (var (shapes, rank) in cases)
                {
                    long expected;
                    using (var network = nn.Sequential(shapes.Select(s => (nn.Module<Tensor, Tensor>)nn.Linear(s.In, s.Out)).ToArray()))
                    {
                        LoRA.ReplaceLinearWithLoRA(network, rank, alpha: rank);
                        expected = LoRA.CountTrainableParameters(network);
                    }
                    var got = Convert.ToInt64(Learner.Call<object>(answer, shapes.ToArray(), rank));
                    Compare.Values(got, expected, $"trainable parameters of Linear layers {string.Join(", ", shapes.Select(s => $"({s.In}, {s.Out})"))} with rank {rank}");
                }
            }),
        new("E.4", "how many parameters train when rank-16 LoRA wraps every Linear of GPT-2 124M turned 2-class classifier",
            "per block: W_query, W_key, W_value and out_proj (768 → 768) and the two feed-forward layers (768 → 3072 → 768); 12 blocks; plus the head 768 → 2; each adds 16 · (in + out)",
            answer =>
            {
                var config = GptConfig.Gpt124M;
                long perBlock;
                using (var block = new TransformerBlock(config))
                {
                    LoRA.ReplaceLinearWithLoRA(block, rank: 16, alpha: 16);
                    perBlock = LoRA.CountTrainableParameters(block);
                }
                var head = LoRA.ParameterCount(config.EmbDim, 2, 16);
                var expected = config.NLayers * perBlock + head;
                ReferenceChecks.Count(Learner.Call<object>(answer), expected, "trainable parameters",
                    (expected - head, "the classifier's head (768 → 2) is a Linear too, and gets its own A and B"),
                    (expected - head + LoRA.ParameterCount(config.EmbDim, config.VocabSize, 16), "that counts the 50257-token head; the classifier's head maps 768 → 2"),
                    (expected - config.NLayers * 2 * LoRA.ParameterCount(config.EmbDim, 4 * config.EmbDim, 16), "the feed-forward's two Linear layers (768 → 3072 → 768) get LoRA too"));
            }),
    ];

    // A fresh LoRA layer's B is zero, which would hide a wrong forward: give the library's A and B random values
    // before they are copied into the learner's module.
    private static void RandomizeLoRA(nn.Module reference)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in reference.named_parameters())
            if (name.EndsWith('A') || name.EndsWith('B')) parameter.copy_(randn_like(parameter) * 0.5);
    }
}
