using LlmFromScratch.Model;

namespace Course.Cli.Bench;

/// <summary>A model shape to benchmark: a GPT configuration and the training batch size.</summary>
public sealed record BenchShape(string Name, GptConfig Config, int Batch)
{
    /// <summary>GPT-2 124M at the book's chapter-5 setting: context 256, batch 2 (untied head, as the book trains it).</summary>
    public static BenchShape Gpt124M { get; } = new("GPT-2 124M", GptConfig.Gpt124M with { ContextLength = 256 }, 2);

    /// <summary>A small GPT with GPT-2's vocabulary: 4 layers of width 256, context 128, batch 4.</summary>
    public static BenchShape Small { get; } = new("small", new GptConfig(50257, 128, 256, 4, 4, 0.1, qkvBias: false), 4);

    /// <summary>Quick mode's stand-in for the 124M shape (same kind of model, minutes become seconds).</summary>
    public static BenchShape QuickLarge { get; } = new("small (quick stand-in for 124M)", Small.Config with { ContextLength = 64 }, 2);

    /// <summary>Quick mode's small shape.</summary>
    public static BenchShape QuickSmall { get; } = new("tiny", new GptConfig(50257, 32, 64, 2, 2, 0.1, qkvBias: false), 4);

    public int Context => Config.ContextLength;

    public long TokensPerStep => (long)Batch * Context;

    public string Describe() =>
        $"{Name}: {Config.NLayers} layers × {Config.EmbDim} wide, {Config.NHeads} heads, context {Context}, batch {Batch}";
}
