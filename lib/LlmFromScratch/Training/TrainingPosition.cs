namespace LlmFromScratch.Training;

/// <summary>
/// Where a run stands: everything, besides weights, optimizer state and the random generator, that a resumed run
/// needs to continue exactly where an interrupted one stopped.
/// </summary>
/// <param name="Epoch">0-based epoch in progress (equal to the number of epochs when training is complete).</param>
/// <param name="BatchesDoneInEpoch">Batches of <paramref name="Epoch"/> already trained on; a resumed run skips this many.</param>
/// <param name="GlobalStep">0-based index of the last completed optimizer step, −1 before the first (the book's <c>global_step</c>).</param>
/// <param name="TokensSeen">Input tokens trained on so far (sum of <c>inputs.numel()</c>).</param>
public sealed record TrainingPosition(int Epoch, int BatchesDoneInEpoch, long GlobalStep, long TokensSeen)
{
    /// <summary>The position of a run that has not started.</summary>
    public static TrainingPosition Start { get; } = new(0, 0, -1, 0);
}
