using LlmFromScratch.Runtime;
using static TorchSharp.torch;

namespace LlmFromScratch.Training;

/// <summary>
/// How <see cref="Trainer"/> runs: the book's <c>num_epochs</c>, <c>eval_freq</c>, <c>eval_iter</c>, plus appendix D's
/// schedule and clipping, checkpointing, and the per-epoch sample. Each value is checked when it is set.
/// The optimizer (and so lr and weight decay) is the caller's: pass e.g.
/// <c>torch.optim.AdamW(model.parameters(), lr: 4e-4, weight_decay: 0.1)</c> to the trainer.
/// </summary>
public sealed record TrainerSettings
{
    /// <summary>Passes over the training batches, ≥ 1.</summary>
    public required int NumEpochs
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(NumEpochs), value, "NumEpochs must be at least 1");
    }

    /// <summary>Evaluate after every <c>EvalFreq</c>-th step (at global steps 0, EvalFreq, 2·EvalFreq, … as in the book), ≥ 1. Default 5.</summary>
    public int EvalFreq
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(EvalFreq), value, "EvalFreq must be at least 1");
    } = 5;

    /// <summary>Batches of each loader averaged per evaluation, ≥ 1. Default 5.</summary>
    public int EvalIter
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(EvalIter), value, "EvalIter must be at least 1");
    } = 5;

    /// <summary>Learning rate per step (warm-up + cosine); null keeps the optimizer's own learning rate.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>Clip gradients to this global L2 norm before every optimizer step; null (default) does not clip.</summary>
    public double? MaxGradNorm
    {
        get;
        init => field = value is null || (value > 0 && !double.IsInfinity(value.Value))
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), value, "MaxGradNorm must be a positive finite number or null");
    }

    /// <summary>
    /// File the trainer writes checkpoints to (atomically); null (default) writes none. Written at the end of every
    /// epoch, every <see cref="CheckpointEvery"/> steps when that is set, and when training is cancelled.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Also checkpoint after every <c>CheckpointEvery</c>-th step; 0 (default) checkpoints only at epoch ends and on cancellation.</summary>
    public int CheckpointEvery
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), value, "CheckpointEvery must be 0 (off) or more");
    }

    /// <summary>
    /// New (mixed precision): the dtype of the model's matrix products while the trainer runs it (training steps,
    /// evaluation, sampling). <see cref="ScalarType.Float32"/> (default) trains in float32 throughout;
    /// <see cref="ScalarType.BFloat16"/> runs the products in bfloat16 while the weights, gradients, optimizer state
    /// and loss stay float32. The model must implement <see cref="IMixedPrecision"/> (GptModel does) unless this is
    /// Float32.
    /// </summary>
    public ScalarType ComputeDtype
    {
        get;
        init => field = MixedPrecision.Require(value, nameof(ComputeDtype));
    } = ScalarType.Float32;

    /// <summary>
    /// Called after every epoch with the model in eval mode under <c>no_grad</c>; its text is reported as
    /// <see cref="TrainingProgress.Sample"/> (the book's <c>generate_and_print_sample</c>, minus the printing).
    /// Keeps the trainer free of any tokenizer.
    /// </summary>
    public Func<nn.Module<Tensor, Tensor>, string>? Sampler { get; init; }
}
