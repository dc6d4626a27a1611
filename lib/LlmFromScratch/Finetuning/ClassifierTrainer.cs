using LlmFromScratch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Section 6.7's <c>train_classifier_simple</c>: the pretraining loop of chapter 5 with the classification loss
/// (<see cref="ClassificationMetrics.LastTokenLoss"/>), counting examples instead of tokens, and measuring accuracy
/// after every epoch. It prints nothing; it reports through <see cref="Progress"/> and returns a
/// <see cref="ClassifierHistory"/>.
/// </summary>
/// <remarks>
/// Each step: zero gradients, last-token loss on one batch, backward, optimizer step (frozen parameters have no
/// gradient, so the optimizer leaves them alone). Every <c>evalFreq</c> steps, starting at step 0, it evaluates train
/// and validation loss on <c>evalIter</c> batches each, in eval mode under <c>no_grad</c>. After each epoch it
/// measures train and validation accuracy on <c>evalIter</c> batches each. One dispose scope per step.
/// </remarks>
/// <example>
/// The book's run (5 epochs, AdamW lr 5e-5, weight decay 0.1, evaluation every 50 steps on 5 batches):
/// <code>
/// var optimizer = torch.optim.AdamW(model.parameters(), lr: 5e-5, weight_decay: 0.1);
/// var trainer = new ClassifierTrainer(model, optimizer, trainLoader, valLoader, numEpochs: 5, evalFreq: 50, evalIter: 5);
/// trainer.Progress += (_, p) => Console.WriteLine(p.Kind == TrainingProgressKind.Evaluation
///     ? $"Ep {p.Epoch + 1} (Step {p.GlobalStep:D6}): Train loss {p.TrainLoss:F3}, Val loss {p.ValLoss:F3}"
///     : $"Training accuracy: {p.TrainAccuracy * 100:F2}% | Validation accuracy: {p.ValAccuracy * 100:F2}%");
/// var history = trainer.Train();
/// </code>
/// </example>
public sealed class ClassifierTrainer
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly OptimizerHelper _optimizer;
    private readonly IReadOnlyCollection<(Tensor Inputs, Tensor Targets)> _trainLoader;
    private readonly IReadOnlyCollection<(Tensor Inputs, Tensor Targets)> _valLoader;
    private readonly Device _device;

    /// <param name="model">Maps (b, t) int64 ids to (b, t, classes) logits (a GPT after <see cref="ClassificationHead.Replace"/>). Batches go to the device of its first parameter.</param>
    /// <param name="optimizer">Over the model's parameters, e.g. <c>torch.optim.AdamW(model.parameters(), lr: 5e-5, weight_decay: 0.1)</c>.</param>
    /// <param name="trainLoader">Training batches: inputs (b, t) int64 and labels (b) int64; enumerated once per epoch and at each evaluation.</param>
    /// <param name="valLoader">Validation batches of the same shapes.</param>
    /// <param name="numEpochs">Passes over the training batches, ≥ 1.</param>
    /// <param name="evalFreq">Evaluate losses every this many steps, ≥ 1.</param>
    /// <param name="evalIter">Batches per loader for each loss evaluation and accuracy measurement, ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count below 1.</exception>
    /// <exception cref="ArgumentException">The model has no parameters.</exception>
    public ClassifierTrainer(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer,
        IReadOnlyCollection<(Tensor Inputs, Tensor Targets)> trainLoader, IReadOnlyCollection<(Tensor Inputs, Tensor Targets)> valLoader,
        int numEpochs, int evalFreq, int evalIter)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(trainLoader);
        ArgumentNullException.ThrowIfNull(valLoader);
        if (numEpochs < 1) throw new ArgumentOutOfRangeException(nameof(numEpochs), numEpochs, "must be at least 1");
        if (evalFreq < 1) throw new ArgumentOutOfRangeException(nameof(evalFreq), evalFreq, "must be at least 1");
        if (evalIter < 1) throw new ArgumentOutOfRangeException(nameof(evalIter), evalIter, "must be at least 1");
        _model = model;
        _optimizer = optimizer;
        _trainLoader = trainLoader;
        _valLoader = valLoader;
        NumEpochs = numEpochs;
        EvalFreq = evalFreq;
        EvalIter = evalIter;
        _device = model.parameters().FirstOrDefault()?.device
            ?? throw new ArgumentException("the model has no parameters to train", nameof(model));
    }

    /// <summary>Raised on the training thread after every loss evaluation and at the end of every epoch.</summary>
    public event EventHandler<ClassifierProgress>? Progress;

    /// <summary>Passes over the training batches.</summary>
    public int NumEpochs { get; }

    /// <summary>Steps between loss evaluations.</summary>
    public int EvalFreq { get; }

    /// <summary>Batches per loader in each evaluation.</summary>
    public int EvalIter { get; }

    /// <summary>Runs all epochs, or stops at the next step boundary when <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <returns>What was recorded, up to where it stopped.</returns>
    public ClassifierHistory Train(CancellationToken cancellationToken = default)
    {
        var history = new ClassifierHistory();
        long globalStep = -1, examplesSeen = 0;
        double? trainLoss = null, valLoss = null;
        for (var epoch = 0; epoch < NumEpochs; epoch++)
        {
            _model.train();
            using var batches = _trainLoader.GetEnumerator();
            while (!cancellationToken.IsCancellationRequested)
            {
                // Opened before MoveNext, so the batch the loader makes is freed with the step.
                using var scope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var (inputs, labels) = batches.Current;
                _optimizer.zero_grad();
                var loss = ClassificationMetrics.CalcLossBatch(inputs, labels, _model, _device);
                loss.backward();
                _optimizer.step();
                examplesSeen += inputs.shape[0];
                globalStep++;

                if (globalStep % EvalFreq == 0)
                {
                    (trainLoss, valLoss) = EvaluateLosses();
                    history.AddEvaluation(globalStep, examplesSeen, trainLoss.Value, valLoss.Value);
                    Report(new(TrainingProgressKind.Evaluation, epoch, NumEpochs, globalStep, examplesSeen, trainLoss, valLoss));
                }
            }
            history.ExamplesSeen = examplesSeen;
            if (cancellationToken.IsCancellationRequested) break;

            var trainAccuracy = ClassificationMetrics.CalcAccuracyLoader(_trainLoader, _model, _device, EvalIter);
            var valAccuracy = ClassificationMetrics.CalcAccuracyLoader(_valLoader, _model, _device, EvalIter);
            history.AddAccuracies(trainAccuracy, valAccuracy);
            Report(new(TrainingProgressKind.EpochEnd, epoch, NumEpochs, globalStep, examplesSeen, trainLoss, valLoss, trainAccuracy, valAccuracy));
        }
        _model.train();
        return history;
    }

    /// <summary>
    /// The book's <c>evaluate_model</c> for classification: mean last-token loss over the first <see cref="EvalIter"/>
    /// training and validation batches, in eval mode under <c>no_grad</c>; the model is back in train mode afterwards.
    /// </summary>
    public (double TrainLoss, double ValLoss) EvaluateLosses()
    {
        _model.eval();
        try
        {
            var train = ClassificationMetrics.CalcLossLoader(_trainLoader, _model, _device, EvalIter);
            var val = ClassificationMetrics.CalcLossLoader(_valLoader, _model, _device, EvalIter);
            return (train, val);
        }
        finally
        {
            _model.train();
        }
    }

    private void Report(ClassifierProgress progress) => Progress?.Invoke(this, progress);
}
