namespace LlmFromScratch.Finetuning;

/// <summary>
/// What <see cref="ClassifierTrainer.Train"/> recorded, for the book's plots: the losses at each evaluation (with the
/// step and examples seen at that point) and the accuracies at the end of each epoch (the book's <c>train_losses</c>,
/// <c>val_losses</c>, <c>train_accs</c>, <c>val_accs</c>, <c>examples_seen</c>).
/// </summary>
public sealed class ClassifierHistory
{
    private readonly List<double> _trainLosses = [];
    private readonly List<double> _valLosses = [];
    private readonly List<long> _evalSteps = [];
    private readonly List<long> _evalExamplesSeen = [];
    private readonly List<double> _trainAccuracies = [];
    private readonly List<double> _valAccuracies = [];

    /// <summary>Mean training loss over <c>evalIter</c> batches at each evaluation.</summary>
    public IReadOnlyList<double> TrainLosses => _trainLosses;

    /// <summary>Mean validation loss over <c>evalIter</c> batches at each evaluation.</summary>
    public IReadOnlyList<double> ValLosses => _valLosses;

    /// <summary>0-based global step of each evaluation.</summary>
    public IReadOnlyList<long> EvalSteps => _evalSteps;

    /// <summary>Training examples seen at each evaluation (an x axis for the loss plot).</summary>
    public IReadOnlyList<long> EvalExamplesSeen => _evalExamplesSeen;

    /// <summary>Training accuracy (on <c>evalIter</c> batches) after each epoch, in [0, 1].</summary>
    public IReadOnlyList<double> TrainAccuracies => _trainAccuracies;

    /// <summary>Validation accuracy (on <c>evalIter</c> batches) after each epoch, in [0, 1].</summary>
    public IReadOnlyList<double> ValAccuracies => _valAccuracies;

    /// <summary>Training examples seen in the whole run.</summary>
    public long ExamplesSeen { get; internal set; }

    internal void AddEvaluation(long step, long examplesSeen, double trainLoss, double valLoss)
    {
        _evalSteps.Add(step);
        _evalExamplesSeen.Add(examplesSeen);
        _trainLosses.Add(trainLoss);
        _valLosses.Add(valLoss);
    }

    internal void AddAccuracies(double train, double val)
    {
        _trainAccuracies.Add(train);
        _valAccuracies.Add(val);
    }
}
