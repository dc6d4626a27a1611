using LlmFromScratch.Training;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// One report from <see cref="ClassifierTrainer.Progress"/>: what the book's <c>train_classifier_simple</c> prints.
/// Epochs are 0-based (the book prints <c>epoch + 1</c>); steps are the book's 0-based <c>global_step</c>.
/// </summary>
/// <param name="Kind"><see cref="TrainingProgressKind.Evaluation"/> (fresh losses) or <see cref="TrainingProgressKind.EpochEnd"/> (fresh accuracies).</param>
/// <param name="Epoch">0-based epoch in progress.</param>
/// <param name="NumEpochs">Epochs in the whole run.</param>
/// <param name="GlobalStep">0-based index of the last completed step.</param>
/// <param name="ExamplesSeen">Training examples seen so far (the book's <c>examples_seen</c>).</param>
/// <param name="TrainLoss">Latest evaluated training loss (last-token cross-entropy), null before the first evaluation.</param>
/// <param name="ValLoss">Latest evaluated validation loss, null before the first evaluation.</param>
/// <param name="TrainAccuracy">Training accuracy in [0, 1] at the end of this epoch; null on evaluation reports.</param>
/// <param name="ValAccuracy">Validation accuracy in [0, 1] at the end of this epoch; null on evaluation reports.</param>
public sealed record ClassifierProgress(
    TrainingProgressKind Kind,
    int Epoch,
    int NumEpochs,
    long GlobalStep,
    long ExamplesSeen,
    double? TrainLoss,
    double? ValLoss,
    double? TrainAccuracy = null,
    double? ValAccuracy = null);
