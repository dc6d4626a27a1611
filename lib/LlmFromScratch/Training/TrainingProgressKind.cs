namespace LlmFromScratch.Training;

/// <summary>What a <see cref="TrainingProgress"/> report is about.</summary>
public enum TrainingProgressKind
{
    /// <summary>An optimizer step finished. Raised every step; carries no fresh loss (that would cost a device sync).</summary>
    Step,

    /// <summary>An evaluation finished: <see cref="TrainingProgress.TrainLoss"/> and <see cref="TrainingProgress.ValLoss"/> are fresh.</summary>
    Evaluation,

    /// <summary>An epoch ended; <see cref="TrainingProgress.Sample"/> holds the sample text when a sampler was given.</summary>
    EpochEnd,

    /// <summary>A checkpoint was written to <see cref="TrainingProgress.CheckpointPath"/>.</summary>
    CheckpointSaved,
}
