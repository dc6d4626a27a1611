using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Training;

/// <summary>
/// The pretraining loss of chapter 5 (§5.1.2–5.1.3): mean cross-entropy of next-token predictions, over one batch
/// or averaged over the first batches of a loader, and perplexity. Model-agnostic: any module mapping token ids
/// (b, t) int64 to logits (b, t, vocab) works.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Mean cross-entropy of one batch (the book's <c>calc_loss_batch</c>): logits are flattened to (b·t, vocab) and
    /// targets to (b·t), so every position counts once. Targets equal to -100 are ignored (PyTorch's default
    /// <c>ignore_index</c>, which chapter 7 relies on).
    /// </summary>
    /// <param name="inputs">Token ids (b, t), int64; moved to <paramref name="device"/>.</param>
    /// <param name="targets">Next-token ids (b, t), int64; moved to <paramref name="device"/>.</param>
    /// <param name="model">Maps (b, t) ids to (b, t, vocab) logits.</param>
    /// <param name="device">Where the model lives.</param>
    /// <returns>A scalar tensor on <paramref name="device"/> that still carries the graph (call <c>backward()</c> on it).</returns>
    /// <exception cref="ArgumentException">Shapes do not fit: inputs not 2-D, targets not the inputs' shape, or logits not (b, t, vocab).</exception>
    public static Tensor CalcLossBatch(Tensor inputs, Tensor targets, nn.Module<Tensor, Tensor> model, Device device)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(model);
        if (inputs.dim() != 2)
            throw new ArgumentException($"inputs must be (batch, tokens); got shape {Shape(inputs)}", nameof(inputs));
        if (!targets.shape.SequenceEqual(inputs.shape))
            throw new ArgumentException($"targets shape {Shape(targets)} differs from inputs shape {Shape(inputs)}", nameof(targets));

        using var inputsOnDevice = inputs.to(device);
        using var targetsOnDevice = targets.to(device);
        using var logits = model.call(inputsOnDevice);                              // (b, t, vocab)
        if (logits.dim() != 3 || logits.shape[0] != inputs.shape[0] || logits.shape[1] != inputs.shape[1])
            throw new ArgumentException(
                $"the model returned logits of shape {Shape(logits)}; expected (batch {inputs.shape[0]}, tokens {inputs.shape[1]}, vocab)",
                nameof(model));
        using var flatLogits = logits.flatten(0, 1);                                // (b·t, vocab)
        using var flatTargets = targetsOnDevice.flatten();                          // (b·t)
        return nn.functional.cross_entropy(flatLogits, flatTargets);                // ()
    }

    /// <summary>
    /// Average batch loss over the first <paramref name="numBatches"/> batches (all when null), the book's
    /// <c>calc_loss_loader</c>. Runs under <c>no_grad</c>; it does not change the model's train/eval mode, so call
    /// <c>model.eval()</c> first when dropout should be off (the trainer's evaluation does). Batch losses are summed in
    /// float64 on the device and read back once.
    /// </summary>
    /// <param name="batches">(inputs, targets) pairs, each (b, t) int64. Tensors created while enumerating are freed after their batch.</param>
    /// <param name="model">Maps (b, t) ids to (b, t, vocab) logits.</param>
    /// <param name="device">Where the model lives.</param>
    /// <param name="numBatches">How many batches to average; more than the loader has means all of them (the book's <c>min</c>).</param>
    /// <returns>The mean loss, or <see cref="double.NaN"/> when <paramref name="batches"/> is empty (the book returns <c>nan</c>).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBatches"/> is zero or negative.</exception>
    public static double CalcLossLoader(IEnumerable<(Tensor inputs, Tensor targets)> batches, nn.Module<Tensor, Tensor> model,
        Device device, int? numBatches = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(model);
        if (numBatches is <= 0)
            throw new ArgumentOutOfRangeException(nameof(numBatches), numBatches, "numBatches must be at least 1, or null for all batches");

        using var noGrad = no_grad();
        using var total = zeros(1, ScalarType.Float64, device);
        var counted = 0;
        using var batch = batches.GetEnumerator();
        while (numBatches is null || counted < numBatches)
        {
            // Opened before MoveNext so tensors the loader makes for this batch are freed with it.
            using var scope = NewDisposeScope();
            if (!batch.MoveNext()) break;
            var (inputs, targets) = batch.Current;
            total.add_(CalcLossBatch(inputs, targets, model, device).to(ScalarType.Float64));
            counted++;
        }
        return counted == 0 ? double.NaN : total.item<double>() / counted;
    }

    /// <summary>Perplexity, exp(loss): the effective number of tokens the model is choosing between (§5.1.2).</summary>
    /// <param name="loss">A mean cross-entropy in nats.</param>
    public static double Perplexity(double loss) => Math.Exp(loss);

    private static string Shape(Tensor t) => $"({string.Join(", ", t.shape)})";
}
