namespace LlmFromScratch.Finetuning;

/// <summary>The judge's verdict on one response: a score in 0..100, or why there is none.</summary>
/// <param name="Score">The score, null when the reply could not be used.</param>
/// <param name="Reply">The judge's raw reply (empty when it was not asked).</param>
/// <param name="Failure">Why there is no score (no number, not an integer, out of range, a server error), else null.</param>
public sealed record JudgeScore(int? Score, string Reply, string? Failure)
{
    /// <summary>True when <see cref="Score"/> holds a valid score.</summary>
    public bool Succeeded => Score is not null;
}
