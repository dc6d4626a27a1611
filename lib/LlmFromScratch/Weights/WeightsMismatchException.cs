namespace LlmFromScratch.Weights;

/// <summary>
/// Weights do not fit what they are loaded into: a key is missing or extra, or a shape differs. Nothing has
/// been copied when it is thrown (loading is all or nothing). <see cref="Problems"/> lists each finding,
/// naming the key and both shapes.
/// </summary>
public sealed class WeightsMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception from a summary line and the individual findings.</summary>
    public WeightsMismatchException(string summary, IReadOnlyList<string> problems)
        : base(summary + (problems.Count == 0 ? "" : "\n  " + string.Join("\n  ", problems.Take(MaxListed)) +
                          (problems.Count > MaxListed ? $"\n  … and {problems.Count - MaxListed} more" : "")))
    {
        Problems = problems;
    }

    /// <summary>Every finding, one line each, e.g. "shape of 'tok_emb.weight': model [50257, 768], weights [50257, 1024]".</summary>
    public IReadOnlyList<string> Problems { get; }

    private const int MaxListed = 20;
}
