using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>Appendix E's helpers: freeze a model, wrap its linear layers with LoRA, count what is left to train.</summary>
public static class LoRA
{
    /// <summary>
    /// The book's two steps in one: freezes every parameter of <paramref name="module"/> (unless
    /// <paramref name="freezeBase"/> is false), then <c>replace_linear_with_lora</c>: every <see cref="Linear"/> child,
    /// at any depth, becomes a <see cref="LinearWithLoRA"/> around it, so only the new A and B matrices train.
    /// </summary>
    /// <param name="module">The model; changed in place.</param>
    /// <param name="rank">LoRA rank (the book uses 16).</param>
    /// <param name="alpha">LoRA scale (the book uses 16).</param>
    /// <param name="freezeBase">Freeze all existing parameters first (the book does).</param>
    /// <returns>How many linear layers were wrapped.</returns>
    /// <exception cref="ArgumentException">A Linear sits in a field declared as <c>Linear</c> (see <see cref="ModuleSurgery"/>).</exception>
    public static int ReplaceLinearWithLoRA(nn.Module module, long rank, double alpha, bool freezeBase = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (rank < 1) throw new ArgumentOutOfRangeException(nameof(rank), rank, "must be at least 1");
        if (freezeBase) Freeze(module);
        return Replace(module, rank, alpha);
    }

    /// <summary>Sets <c>requires_grad = false</c> on every parameter of <paramref name="module"/>.</summary>
    public static void Freeze(nn.Module module)
    {
        foreach (var p in module.parameters()) p.requires_grad = false;
    }

    /// <summary>Number of parameter elements with <c>requires_grad</c> (the book's <c>sum(p.numel() for p in model.parameters() if p.requires_grad)</c>).</summary>
    public static long CountTrainableParameters(nn.Module module) =>
        module.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>Trainable numbers LoRA adds to one in → out linear layer: rank · (in + out).</summary>
    public static long ParameterCount(long inFeatures, long outFeatures, long rank) => rank * (inFeatures + outFeatures);

    private static int Replace(nn.Module module, long rank, double alpha)
    {
        var wrapped = 0;
        foreach (var (name, child) in module.named_children().ToList())
        {
            if (child is Linear linear)
            {
                ModuleSurgery.ReplaceChild(module, name, new LinearWithLoRA(linear, rank, alpha));
                wrapped++;
            }
            else
            {
                wrapped += Replace(child, rank, alpha);
            }
        }
        return wrapped;
    }
}
