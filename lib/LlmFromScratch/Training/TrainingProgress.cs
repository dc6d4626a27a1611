namespace LlmFromScratch.Training;

/// <summary>
/// One report from <see cref="Trainer.Progress"/>: enough for a notebook display or a console progress bar
/// (step, epoch, loss, tokens/s, tokens seen). Epochs are 0-based (the book prints <c>epoch + 1</c>); steps are the
/// book's 0-based <c>global_step</c>.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Epoch">0-based epoch in progress.</param>
/// <param name="NumEpochs">Epochs in the whole run.</param>
/// <param name="BatchesDoneInEpoch">Batches of this epoch trained on so far.</param>
/// <param name="GlobalStep">0-based index of the last completed step (−1 before the first).</param>
/// <param name="TokensSeen">Input tokens trained on so far.</param>
/// <param name="TokensPerSecond">Training throughput since <see cref="Trainer.Train"/> was called (wall clock; display only).</param>
/// <param name="LearningRate">Learning rate of the last step (first parameter group).</param>
/// <param name="TrainLoss">Latest evaluated training loss, null before the first evaluation.</param>
/// <param name="ValLoss">Latest evaluated validation loss, null before the first evaluation.</param>
/// <param name="Sample">Text from the sampler, on <see cref="TrainingProgressKind.EpochEnd"/> only.</param>
/// <param name="CheckpointPath">File written, on <see cref="TrainingProgressKind.CheckpointSaved"/> only.</param>
public sealed record TrainingProgress(
    TrainingProgressKind Kind,
    int Epoch,
    int NumEpochs,
    int BatchesDoneInEpoch,
    long GlobalStep,
    long TokensSeen,
    double TokensPerSecond,
    double LearningRate,
    double? TrainLoss,
    double? ValLoss,
    string? Sample = null,
    string? CheckpointPath = null);
