using LlmFromScratch.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Section 6.5: turning a GPT into a classifier. The vocabulary-sized output head becomes a small
/// <c>Linear(EmbDim, numClasses)</c>, and only the parts nearest the output keep training: the last transformer
/// block, the final layer norm and the new head. The book finds that enough for spam detection, and it keeps the
/// pretrained lower layers' general language knowledge intact while cutting the backward pass short.
/// </summary>
public static class ClassificationHead
{
    /// <summary>
    /// The book's three steps: freeze every parameter (<c>requires_grad = False</c>), replace <c>out_head</c> by
    /// <c>Linear(EmbDim, numClasses)</c> (with a bias, PyTorch's default; its fresh parameters train), then unfreeze
    /// the last block of <c>trf_blocks</c> and <c>final_norm</c>. The old head is disposed: in the 124M model it is the
    /// largest matrix (50257 × 768). The new head is created on the old one's device and dtype, from the current
    /// random generator (the book seeds 123 first).
    /// </summary>
    /// <param name="model">The model; changed in place. Its forward now returns (b, t, numClasses) logits.</param>
    /// <param name="numClasses">Classes to predict (2 for spam).</param>
    /// <param name="freeze">False keeps every parameter trainable (for a model trained from scratch).</param>
    /// <returns>The new head.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> below 2.</exception>
    public static Linear Replace(GptModel model, int numClasses, bool freeze = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a classifier needs at least 2 classes");
        if (freeze) SetTrainable(model, _ => false);
        var old = model.OutHead.parameters().First();
        var head = nn.Linear(model.Config.EmbDim, numClasses, hasBias: true, device: old.device, dtype: old.dtype);
        using (ModuleSurgery.ReplaceChild(model, "out_head", head)) { }
        if (freeze) UnfreezeLastBlockAndNorm(model);
        return head;
    }

    /// <summary>
    /// Sets <c>requires_grad</c> on the last transformer block (<c>trf_blocks.{NLayers-1}.*</c>) and
    /// <c>final_norm.*</c>; everything else stays as it is. The book's second freezing step.
    /// </summary>
    public static void UnfreezeLastBlockAndNorm(GptModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var lastBlock = $"trf_blocks.{model.Config.NLayers - 1}.";
        foreach (var (name, p) in model.named_parameters())
            if (name.StartsWith(lastBlock, StringComparison.Ordinal) || name.StartsWith("final_norm.", StringComparison.Ordinal))
                p.requires_grad = true;
    }

    /// <summary>Names of the parameters that will train (<c>requires_grad</c>), in state-dict order.</summary>
    public static IReadOnlyList<string> TrainableParameterNames(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
    }

    /// <summary>
    /// What <see cref="Replace"/> leaves trainable, from the configuration alone: one transformer block, the final
    /// norm (2 · EmbDim) and the head (EmbDim · numClasses + numClasses). GPT-2 124M with its query/key/value biases
    /// (as loaded from OpenAI's weights) and 2 classes: 7,087,872 + 1,536 + 1,538 = 7,090,946.
    /// </summary>
    public static long TrainableParameterCount(GptConfig config, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "a classifier needs at least 2 classes");
        long e = config.Validate().EmbDim;
        return ModelSize.TransformerBlockParameterCount(config) + 2 * e + e * numClasses + numClasses;
    }

    private static void SetTrainable(nn.Module model, Func<string, bool> trainable)
    {
        foreach (var (name, p) in model.named_parameters()) p.requires_grad = trainable(name);
    }
}
