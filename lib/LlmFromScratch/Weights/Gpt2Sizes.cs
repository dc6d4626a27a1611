using LlmFromScratch.Data;

namespace LlmFromScratch.Weights;

/// <summary>The four published GPT-2 sizes (the book's <c>model_configs</c>, §5.5), looked up by name.</summary>
public static class Gpt2Sizes
{
    private static readonly (string Name, string Label, int Emb, int Layers, int Heads)[] _table =
    [
        ("gpt2", "gpt2-small (124M)", 768, 12, 12),
        ("gpt2-medium", "gpt2-medium (355M)", 1024, 24, 16),
        ("gpt2-large", "gpt2-large (774M)", 1280, 36, 20),
        ("gpt2-xl", "gpt2-xl (1558M)", 1600, 48, 25),
    ];

    /// <summary>Hugging Face's names, smallest first.</summary>
    public static IReadOnlyList<string> Names { get; } = _table.Select(t => t.Name).ToArray();

    /// <summary>Every size, smallest first, with cache paths under the current <see cref="DataSets.CacheDirectory"/>.</summary>
    public static IReadOnlyList<Gpt2Size> All => Names.Select(Get).ToArray();

    /// <summary>
    /// Looks a size up by Hugging Face's name (<c>gpt2</c>, <c>gpt2-medium</c>, …), the book's label
    /// (<c>gpt2-small (124M)</c>) or its parameter count (<c>124M</c>), ignoring case.
    /// </summary>
    /// <exception cref="ArgumentException">No size matches; the message lists the names.</exception>
    public static Gpt2Size Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim();
        foreach (var (n, label, emb, layers, heads) in _table)
        {
            var count = label[(label.IndexOf('(') + 1)..^1];
            if (key.Equals(n, StringComparison.OrdinalIgnoreCase) || key.Equals(label, StringComparison.OrdinalIgnoreCase) ||
                key.Equals(count, StringComparison.OrdinalIgnoreCase) || key.Equals(label[..label.IndexOf(' ')], StringComparison.OrdinalIgnoreCase))
                return new Gpt2Size(n, label, emb, layers, heads,
                    $"https://huggingface.co/openai-community/{n}/resolve/main/model.safetensors",
                    Path.Combine(DataSets.CacheDirectory, "gpt2-weights", n, "model.safetensors"));
        }
        throw new ArgumentException(
            $"No GPT-2 size named '{name}'. Known: {string.Join(", ", _table.Select(t => $"{t.Name} ({t.Label})"))}.", nameof(name));
    }
}
