using TorchSharp;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Chapter 6's data preparation: balance the classes, then shuffle and split 70/10/20 — the book's
/// <c>create_balanced_dataset</c> and <c>random_split</c>.
/// </summary>
/// <remarks>
/// The book shuffles with pandas (<c>sample(random_state=123)</c>, numpy's generator); this port shuffles with
/// libtorch's generator (<c>torch.randperm</c> seeded like <c>torch.Generator().manual_seed(seed)</c>), so the sizes
/// match the book (747/747 → 1045/149/300) but which message lands in which split differs.
/// </remarks>
public static class ClassificationSplits
{
    /// <summary>
    /// Keeps every spam message and a random sample of as many ham messages: the ham sample (in sampled order)
    /// first, then the spam messages in their original order, like the book's <c>pd.concat([ham_subset, spam])</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A label other than 0/1, or fewer ham than spam messages.</exception>
    public static IReadOnlyList<LabeledText> Balance(IReadOnlyList<LabeledText> data, int seed = 123)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.FirstOrDefault(d => d.Label is not (SpamLabel.Ham or SpamLabel.Spam)) is { } bad)
            throw new ArgumentException($"label {bad.Label} is not 0 (ham) or 1 (spam)", nameof(data));
        var spam = data.Where(d => d.Label == SpamLabel.Spam).ToList();
        var ham = data.Where(d => d.Label == SpamLabel.Ham).ToList();
        if (ham.Count < spam.Count)
            throw new ArgumentException($"{ham.Count} ham messages cannot be sampled down to the {spam.Count} spam messages", nameof(data));
        var order = Permutation(ham.Count, seed);
        return order.Take(spam.Count).Select(i => ham[i]).Concat(spam).ToList();
    }

    /// <summary>
    /// Shuffles with <paramref name="seed"/> and cuts: train = the first <c>floor(n·trainFraction)</c>, validation =
    /// the next <c>floor(n·validationFraction)</c>, test = the rest (1494 → 1045 / 149 / 300).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Fractions outside [0, 1] or summing to more than 1.</exception>
    public static DataSplit<T> Split<T>(IReadOnlyList<T> data, double trainFraction = 0.7, double validationFraction = 0.1, int seed = 123)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (trainFraction is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "must be in [0, 1]");
        if (validationFraction < 0 || trainFraction + validationFraction > 1)
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction,
                $"must be >= 0 and leave a test portion (trainFraction is {trainFraction})");
        var shuffled = Permutation(data.Count, seed).Select(i => data[i]).ToList();
        var trainEnd = (int)(data.Count * trainFraction);
        var validationEnd = trainEnd + (int)(data.Count * validationFraction);
        return new DataSplit<T>(shuffled[..trainEnd], shuffled[trainEnd..validationEnd], shuffled[validationEnd..]);
    }

    /// <summary>A random permutation of 0..n-1: <c>torch.randperm(n, generator=torch.Generator().manual_seed(seed))</c>.</summary>
    public static int[] Permutation(int n, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0) return [];
        using var generator = new torch.Generator((ulong)seed);
        using var perm = torch.randperm(n, generator: generator);
        return perm.data<long>().Select(i => (int)i).ToArray();
    }
}
