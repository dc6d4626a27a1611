using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Chapter 6's loss and accuracy for a GPT turned classifier: only the last token's logits count, because under
/// the causal mask it is the only position that has attended to the whole text.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>Cross-entropy of the last token's logits against the labels.</summary>
    /// <param name="logits">(b, t, classes) model output.</param>
    /// <param name="labels">(b) int64 class indices.</param>
    /// <returns>Scalar mean loss.</returns>
    public static Tensor LastTokenLoss(Tensor logits, Tensor labels)
    {
        Check(logits, labels);
        var last = logits[.., -1, ..];                        // (b, classes)
        return nn.functional.cross_entropy(last, labels);     // ()
    }

    /// <summary>How many rows' last-token argmax equals the label.</summary>
    /// <param name="logits">(b, t, classes).</param>
    /// <param name="labels">(b) int64.</param>
    public static long CorrectCount(Tensor logits, Tensor labels)
    {
        Check(logits, labels);
        using var _ = NewDisposeScope();
        var predicted = logits[.., -1, ..].argmax(-1);        // (b)
        return predicted.eq(labels).sum().item<long>();
    }

    /// <summary>Fraction of rows whose last-token argmax equals the label: mean(argmax == label).</summary>
    /// <param name="logits">(b, t, classes).</param>
    /// <param name="labels">(b) int64.</param>
    public static double Accuracy(Tensor logits, Tensor labels) => (double)CorrectCount(logits, labels) / labels.shape[0];

    /// <summary>The book's <c>calc_loss_batch</c>: moves the batch to <paramref name="device"/>, runs the model, returns the last-token loss.</summary>
    /// <param name="inputs">(b, t) int64 token ids.</param>
    /// <param name="labels">(b) int64.</param>
    /// <param name="model">Maps (b, t) ids to (b, t, classes) logits.</param>
    /// <param name="device">Where the model lives.</param>
    public static Tensor CalcLossBatch(Tensor inputs, Tensor labels, nn.Module<Tensor, Tensor> model, Device device)
    {
        using var scope = NewDisposeScope();
        var logits = model.call(inputs.to(device));           // (b, t, classes)
        return LastTokenLoss(logits, labels.to(device)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The book's <c>calc_loss_loader</c>: mean last-token loss over the first <paramref name="numBatches"/> batches
    /// (all when null); NaN for an empty loader. Runs under <c>no_grad</c>; the caller sets eval mode as the book's
    /// <c>evaluate_model</c> does.
    /// </summary>
    public static double CalcLossLoader(IReadOnlyCollection<(Tensor Inputs, Tensor Targets)> loader, nn.Module<Tensor, Tensor> model,
        Device device, int? numBatches = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        if (loader.Count == 0) return double.NaN;
        var n = numBatches is { } k ? Math.Min(k, loader.Count) : loader.Count;
        using var _ = no_grad();
        var total = 0.0;
        using var batches = loader.Take(n).GetEnumerator();
        while (true)
        {
            // Opened before MoveNext, so the batch the loader makes is freed with it.
            using var scope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            var (inputs, labels) = batches.Current;
            total += CalcLossBatch(inputs, labels, model, device).ToDouble();
        }
        return total / n;
    }

    /// <summary>
    /// The book's <c>calc_accuracy_loader</c>: puts the model in eval mode and returns the fraction of correct
    /// last-token predictions over the first <paramref name="numBatches"/> batches (all when null); NaN if no examples.
    /// </summary>
    public static double CalcAccuracyLoader(IReadOnlyCollection<(Tensor Inputs, Tensor Targets)> loader, nn.Module<Tensor, Tensor> model,
        Device device, int? numBatches = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        model.eval();
        var n = numBatches is { } k ? Math.Min(k, loader.Count) : loader.Count;
        long correct = 0, examples = 0;
        using var _ = no_grad();
        using var batches = loader.Take(n).GetEnumerator();
        while (true)
        {
            using var scope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            var (inputs, labels) = batches.Current;
            var logits = model.call(inputs.to(device));       // (b, t, classes)
            correct += CorrectCount(logits, labels.to(device));
            examples += labels.shape[0];
        }
        return examples == 0 ? double.NaN : (double)correct / examples;
    }

    private static void Check(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 3)
            throw new ArgumentException($"logits must be (b, t, classes); got shape [{string.Join(", ", logits.shape)}]", nameof(logits));
        if (labels.dim() != 1 || labels.shape[0] != logits.shape[0])
            throw new ArgumentException(
                $"labels must be (b) with b = {logits.shape[0]} to match the logits; got shape [{string.Join(", ", labels.shape)}]", nameof(labels));
    }
}
