using System.Diagnostics;
using LlmFromScratch.Generation;
using LlmFromScratch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Cli.Bench;

/// <summary>Greedy generation speed with and without the KV cache, and whether both give the same tokens.</summary>
public static class GenerationBench
{
    public sealed record Result(int NewTokens, double CachedTokensPerSecond, double UncachedTokensPerSecond, bool SameTokens);

    /// <param name="config">The model (its full context length, so the window never fills while generating).</param>
    public static Result Run(GptConfig config, int newTokens, Device device)
    {
        manual_seed(123);
        using var model = new GptModel(config);
        model.to(device);
        model.eval();
        using var prompt = randint(0, config.VocabSize, [1, 4], device: device);
        // Warm up both paths (first calls allocate and pick kernels).
        GenerateTextSimple.Generate(model, prompt, 2, config.ContextLength, useKvCache: true).Dispose();
        GenerateTextSimple.Generate(model, prompt, 2, config.ContextLength, useKvCache: false).Dispose();

        var (cachedSeconds, cached) = Time(() => GenerateTextSimple.Generate(model, prompt, newTokens, config.ContextLength, useKvCache: true), device);
        var (uncachedSeconds, uncached) = Time(() => GenerateTextSimple.Generate(model, prompt, newTokens, config.ContextLength, useKvCache: false), device);
        using (cached)
        using (uncached)
        using (var same = cached.eq(uncached).all())
            return new Result(newTokens, newTokens / cachedSeconds, newTokens / uncachedSeconds,
                cached.shape.SequenceEqual(uncached.shape) && same.item<bool>());
    }

    private static (double Seconds, Tensor Ids) Time(Func<Tensor> generate, Device device)
    {
        var clock = Stopwatch.StartNew();
        var ids = generate();
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        return (clock.Elapsed.TotalSeconds, ids);
    }
}
