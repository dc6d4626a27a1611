namespace LlmFromScratch.Finetuning;

/// <summary>The judge's verdicts on a set of responses, in entry order.</summary>
/// <param name="Results">One verdict per entry.</param>
public sealed record JudgeReport(IReadOnlyList<JudgeScore> Results)
{
    /// <summary>The valid scores (failures left out, as the book's <c>generate_model_scores</c> does).</summary>
    public IReadOnlyList<int> Scores => Results.Where(r => r.Succeeded).Select(r => r.Score!.Value).ToList();

    /// <summary>How many entries got no score.</summary>
    public int FailureCount => Results.Count(r => !r.Succeeded);

    /// <summary>Mean of <see cref="Scores"/> (the book's "Average score"); NaN when there are none.</summary>
    public double Average => Scores.Count == 0 ? double.NaN : Scores.Average();
}
