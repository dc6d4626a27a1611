using System.Diagnostics;
using LlmFromScratch.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Training;

/// <summary>
/// The book's <c>train_model_simple</c> (§5.2) with appendix D's schedule and clipping, for any model that maps
/// token ids (b, t) int64 to logits (b, t, vocab). It prints nothing: it reports through <see cref="Progress"/>,
/// records a <see cref="TrainingHistory"/>, and can checkpoint and resume exactly.
/// </summary>
/// <remarks>
/// <para>Each step: set the learning rate (when a schedule is given), clear the gradients (set to none, as PyTorch's
/// <c>zero_grad</c> does by default), loss on one batch, backward, clip (when asked), optimizer step. Every <see cref="TrainerSettings.EvalFreq"/> steps, starting at step 0, it
/// evaluates train and validation loss on <see cref="TrainerSettings.EvalIter"/> batches each, in eval mode, and puts
/// the model back in train mode. After each epoch it calls <see cref="TrainerSettings.Sampler"/>.</para>
/// <para>New (mixed precision): with <see cref="TrainerSettings.ComputeDtype"/> set to bfloat16, the model's matrix
/// products run in bfloat16 during training, evaluation and sampling, while weights, gradients, optimizer state and the
/// loss stay float32; the model's own setting is restored when the trainer returns. For speed, pass an
/// <see cref="InPlaceAdamW"/> (same results as <c>torch.optim.AdamW</c>, bit for bit, without its per-step temporaries).</para>
/// <para>Memory stays flat: one dispose scope per step; batch losses collect in a small device tensor and come to the
/// host once per evaluation (one copy), not once per step.</para>
/// <para>Exact resume: the training batches come from a function of the epoch, so an epoch's order must depend only
/// on (seed, epoch) — e.g. a <c>LlmFromScratch.Text.DataLoader</c> created per epoch with <c>seed + epoch</c>, or a
/// permutation drawn from a <c>torch.Generator</c> seeded that way, never the global generator. A checkpoint stores
/// weights, optimizer state, position, history and the CPU generator; after <see cref="LoadCheckpoint"/>,
/// <see cref="Train"/> skips the batches already done in the current epoch and produces the same losses as a run that
/// was never interrupted (bit for bit on CPU).</para>
/// </remarks>
/// <example>
/// Chapter 5's run (the book's settings), with a sample printed after every epoch:
/// <code>
/// Seed.Set(123);
/// var model = new GptModel(config).to(device);
/// var optimizer = torch.optim.AdamW(model.parameters(), lr: 4e-4, weight_decay: 0.1);
/// var settings = new TrainerSettings
/// {
///     NumEpochs = 10, EvalFreq = 5, EvalIter = 5,
///     Sampler = m =>
///     {
///         var ids = GenerateText.Generate(m, startIds, maxNewTokens: 50, contextSize: 256);   // freed by the trainer's scope
///         return tokenizer.Decode(ids[0].data&lt;long&gt;().Select(id => (int)id));
///     },
/// };
/// var trainData = new GptDatasetV1(trainText, tokenizer, maxLength: 256, stride: 256);
/// var valData = new GptDatasetV1(valText, tokenizer, maxLength: 256, stride: 256);
/// // A fresh shuffled loader per epoch, seeded from the epoch: the order depends only on (seed, epoch), so a resumed
/// // run rebuilds it. (One shared shuffled loader reshuffles on every pass, evaluation passes included.)
/// var trainer = new Trainer(model, optimizer,
///     epoch => DataLoader.Create(trainData, batchSize: 2, shuffle: true, dropLast: true, seed: 123 + epoch),
///     DataLoader.Create(valData, batchSize: 2),
///     settings);
/// trainer.Progress += (_, p) =>
/// {
///     if (p.Kind == TrainingProgressKind.Evaluation)
///         Console.WriteLine($"Ep {p.Epoch + 1} (Step {p.GlobalStep:D6}): Train loss {p.TrainLoss:F3}, Val loss {p.ValLoss:F3}");
///     if (p.Kind == TrainingProgressKind.EpochEnd) Console.WriteLine(p.Sample);
/// };
/// TrainingHistory history = trainer.Train();   // history.TrainLosses, ValLosses, TokensSeen for the plot
/// </code>
/// To resume: build the model and optimizer the same way, <c>trainer.LoadCheckpoint(path)</c>, then <c>trainer.Train()</c>.
/// </example>
public sealed class Trainer
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly OptimizerHelper _optimizer;
    private readonly Func<int, IEnumerable<(Tensor inputs, Tensor targets)>> _trainBatches;
    private readonly IEnumerable<(Tensor inputs, Tensor targets)> _valBatches;
    private readonly Device _device;

    private Tensor? _pendingLosses;                  // (EvalFreq) batch losses not yet copied to the host
    private int _pendingCount;
    private double? _lastTrainLoss;
    private double? _lastValLoss;
    private Stopwatch _clock = new();
    private long _tokensAtStart;

    /// <summary>Creates a trainer; nothing runs until <see cref="Train"/>.</summary>
    /// <param name="model">Maps (b, t) int64 ids to (b, t, vocab) logits. Batches are moved to the device of its first parameter.</param>
    /// <param name="optimizer">Over the model's parameters, e.g. <c>torch.optim.AdamW(model.parameters(), lr: 4e-4, weight_decay: 0.1)</c>.</param>
    /// <param name="trainBatches">The training batches of 0-based epoch <c>e</c>, (inputs, targets) each (b, t) int64. Its order must depend only on the epoch (and a seed the caller fixed) for exact resume. Tensors created while enumerating are freed after their step, so a loader must not cache tensors it creates lazily (make them up front, or anew on every pass).</param>
    /// <param name="valBatches">Validation batches, enumerated afresh at each evaluation.</param>
    /// <param name="settings">Epochs, evaluation cadence, schedule, clipping, checkpoints, sampler, compute dtype.</param>
    /// <exception cref="ArgumentException">The model has no parameters, or settings ask for a bfloat16 compute dtype
    /// and the model does not implement <see cref="IMixedPrecision"/>.</exception>
    public Trainer(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer,
        Func<int, IEnumerable<(Tensor inputs, Tensor targets)>> trainBatches,
        IEnumerable<(Tensor inputs, Tensor targets)> valBatches,
        TrainerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(trainBatches);
        ArgumentNullException.ThrowIfNull(valBatches);
        ArgumentNullException.ThrowIfNull(settings);
        _model = model;
        _optimizer = optimizer;
        _trainBatches = trainBatches;
        _valBatches = valBatches;
        Settings = settings;
        var first = model.parameters().FirstOrDefault();   // the registered parameter itself: not ours to dispose
        _device = first?.device ?? throw new ArgumentException("the model has no parameters to train", nameof(model));
        if (settings.ComputeDtype != ScalarType.Float32 && model is not IMixedPrecision)
            throw new ArgumentException(
                $"settings ask for compute dtype {settings.ComputeDtype}, but {model.GetType().Name} does not implement " +
                $"{nameof(IMixedPrecision)}; use Float32 or a model that casts its own products (GptModel)", nameof(settings));
    }

    /// <summary>
    /// Raised on the training thread after every step, every evaluation, every epoch and every checkpoint. Handlers
    /// run synchronously between steps: keep them quick, and cancel through the token given to <see cref="Train"/>.
    /// </summary>
    public event EventHandler<TrainingProgress>? Progress;

    /// <summary>The settings this trainer runs with.</summary>
    public TrainerSettings Settings { get; }

    /// <summary>Where the run stands; restored by <see cref="LoadCheckpoint"/>.</summary>
    public TrainingPosition Position { get; private set; } = TrainingPosition.Start;

    /// <summary>Everything recorded so far, including what a loaded checkpoint carried.</summary>
    public TrainingHistory History { get; private set; } = new();

    /// <summary>True once all <see cref="TrainerSettings.NumEpochs"/> epochs have run.</summary>
    public bool IsComplete => Position.Epoch >= Settings.NumEpochs;

    /// <summary>
    /// Trains from <see cref="Position"/> to the end of the last epoch, or until <paramref name="cancellationToken"/>
    /// is cancelled: then it stops at the next step boundary, writes a checkpoint when
    /// <see cref="TrainerSettings.CheckpointPath"/> is set, and returns normally (<see cref="IsComplete"/> stays false;
    /// call <see cref="Train"/> again to continue).
    /// </summary>
    /// <returns><see cref="History"/>.</returns>
    public TrainingHistory Train(CancellationToken cancellationToken = default)
    {
        _clock = Stopwatch.StartNew();
        _tokensAtStart = Position.TokensSeen;
        var wasTraining = _model.training;
        var wasDtype = SetComputeDtype(Settings.ComputeDtype);
        _model.train();
        try
        {
            while (!IsComplete)
            {
                if (!RunEpoch(cancellationToken))
                {
                    FlushStepLosses();
                    CheckpointIfConfigured();
                    return History;
                }
                FlushStepLosses();
                var sample = Sample();
                Report(TrainingProgressKind.EpochEnd, sample);
                Position = Position with { Epoch = Position.Epoch + 1, BatchesDoneInEpoch = 0 };
                CheckpointIfConfigured();
            }
            return History;
        }
        finally
        {
            FlushStepLosses();
            _pendingLosses?.Dispose();
            _pendingLosses = null;
            _model.train(wasTraining);
            SetComputeDtype(wasDtype);
        }
    }

    /// <summary>
    /// The book's <c>evaluate_model</c>: mean loss over the first <see cref="TrainerSettings.EvalIter"/> training and
    /// validation batches, in eval mode under <c>no_grad</c>; the model's mode is restored afterwards.
    /// </summary>
    public (double TrainLoss, double ValLoss) Evaluate()
    {
        var wasTraining = _model.training;
        var wasDtype = SetComputeDtype(Settings.ComputeDtype);
        _model.eval();
        try
        {
            var epoch = Math.Min(Position.Epoch, Settings.NumEpochs - 1);
            var train = Losses.CalcLossLoader(_trainBatches(epoch), _model, _device, Settings.EvalIter);
            var val = Losses.CalcLossLoader(_valBatches, _model, _device, Settings.EvalIter);
            return (train, val);
        }
        finally
        {
            _model.train(wasTraining);
            SetComputeDtype(wasDtype);
        }
    }

    /// <summary>Writes a checkpoint of the current state (see <see cref="TrainingCheckpoint"/>).</summary>
    public void SaveCheckpoint(string path)
    {
        FlushStepLosses();
        TrainingCheckpoint.Save(path, _model, _optimizer, Position, History);
    }

    /// <summary>
    /// Restores model, optimizer, position, history and the CPU random generator from a checkpoint, so that
    /// <see cref="Train"/> continues exactly where the saved run was. The model and optimizer must be built the
    /// same way as the saved ones.
    /// </summary>
    public void LoadCheckpoint(string path)
    {
        var (position, history) = TrainingCheckpoint.Load(path, _model, _optimizer);
        Position = position;
        History = history;
        _pendingCount = 0;
        _lastTrainLoss = history.TrainLosses.Count > 0 ? history.TrainLosses[^1] : null;
        _lastValLoss = history.ValLosses.Count > 0 ? history.ValLosses[^1] : null;
    }

    /// <returns>False when cancelled before the epoch's batches ran out.</returns>
    private bool RunEpoch(CancellationToken cancellationToken)
    {
        var epoch = Position.Epoch;
        var skip = Position.BatchesDoneInEpoch;
        using var batches = _trainBatches(epoch).GetEnumerator();
        var index = 0;
        while (true)
        {
            if (index >= skip && cancellationToken.IsCancellationRequested) return false;
            // Opened before MoveNext so tensors the loader makes for this batch are freed with the step.
            using var scope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            if (index++ < skip) continue;
            var (inputs, targets) = batches.Current;
            Step(epoch, index, inputs, targets);
        }
        if (index < skip)
            throw new InvalidOperationException(
                $"the position says {skip} batches of epoch {epoch} are done, but that epoch yields only {index}: " +
                "the training data differ from the run that wrote the checkpoint");
        return true;
    }

    private void Step(int epoch, int batchesDone, Tensor inputs, Tensor targets)
    {
        var step = Position.GlobalStep + 1;
        if (Settings.Schedule is { } schedule)
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = schedule.At(step);

        ClearGradients();
        var loss = Losses.CalcLossBatch(inputs, targets, _model, _device);
        loss.backward();
        if (Settings.MaxGradNorm is { } maxNorm) GradientClipping.ClipGradNorm(_model.parameters(), maxNorm);
        _optimizer.step();

        KeepStepLoss(loss);
        History.AddLearningRate(LearningRate);
        Position = new TrainingPosition(epoch, batchesDone, step, Position.TokensSeen + inputs.numel());
        Report(TrainingProgressKind.Step);

        if (step % Settings.EvalFreq == 0)
        {
            FlushStepLosses();
            var (trainLoss, valLoss) = Evaluate();
            _lastTrainLoss = trainLoss;
            _lastValLoss = valLoss;
            History.AddEvaluation(step, Position.TokensSeen, trainLoss, valLoss);
            Report(TrainingProgressKind.Evaluation);
        }
        if (Settings.CheckpointEvery > 0 && (step + 1) % Settings.CheckpointEvery == 0) CheckpointIfConfigured();
    }

    /// <summary>
    /// PyTorch's <c>zero_grad(set_to_none=True)</c>: drops the gradients instead of zeroing them, so backward stores
    /// fresh ones rather than adding into zeroed buffers. Same values (0 + g = g), one pass less to write and one less
    /// to read over every gradient each step (2.6 GB for GPT-2 124M). Optimizers implemented in native code, which
    /// expose no parameter groups, zero as before.
    /// </summary>
    private void ClearGradients()
    {
        var groups = _optimizer.ParamGroups.OfType<ParamGroup>().ToList();
        if (groups.Count == 0)
        {
            _optimizer.zero_grad();
            return;
        }
        foreach (var parameter in groups.SelectMany(g => g.Parameters)) parameter.grad = null;
    }

    /// <summary>Sets the model's compute dtype (when it has one) and returns the previous one, for restoring.</summary>
    private ScalarType SetComputeDtype(ScalarType dtype)
    {
        if (_model is not IMixedPrecision mixed) return ScalarType.Float32;
        var previous = mixed.ComputeDtype;
        if (previous != dtype) mixed.ComputeDtype = dtype;
        return previous;
    }

    private double LearningRate => _optimizer.ParamGroups.First().LearningRate;

    private void KeepStepLoss(Tensor loss)
    {
        if (_pendingLosses is not null && _pendingCount == _pendingLosses.shape[0]) FlushStepLosses();
        _pendingLosses ??= zeros(Settings.EvalFreq, ScalarType.Float32, _device).DetachFromDisposeScope();
        using var noGrad = no_grad();
        using var slot = _pendingLosses[_pendingCount];
        slot.copy_(loss);
        _pendingCount++;
    }

    private void FlushStepLosses()
    {
        if (_pendingCount == 0 || _pendingLosses is null) return;
        using var scope = NewDisposeScope();
        var values = _pendingLosses.narrow(0, 0, _pendingCount).cpu().data<float>().ToArray();  // the one host copy
        History.AddStepLosses(values.Select(v => (double)v));
        _pendingCount = 0;
    }

    private string? Sample()
    {
        if (Settings.Sampler is null) return null;
        var wasTraining = _model.training;
        _model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            return Settings.Sampler(_model);
        }
        finally
        {
            _model.train(wasTraining);
        }
    }

    private void CheckpointIfConfigured()
    {
        if (Settings.CheckpointPath is not { } path) return;
        SaveCheckpoint(path);
        Report(TrainingProgressKind.CheckpointSaved, checkpointPath: path);
    }

    private void Report(TrainingProgressKind kind, string? sample = null, string? checkpointPath = null)
    {
        var handler = Progress;
        if (handler is null) return;
        var seconds = _clock.Elapsed.TotalSeconds;
        var tokensPerSecond = seconds > 0 ? (Position.TokensSeen - _tokensAtStart) / seconds : 0;
        handler(this, new TrainingProgress(kind, Position.Epoch, Settings.NumEpochs, Position.BatchesDoneInEpoch,
            Position.GlobalStep, Position.TokensSeen, tokensPerSecond, LearningRate, _lastTrainLoss, _lastValLoss,
            sample, checkpointPath));
    }
}
