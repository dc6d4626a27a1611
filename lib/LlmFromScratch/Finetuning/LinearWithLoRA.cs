using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Appendix E's wrapper: a (frozen) <see cref="Linear"/> plus a <see cref="LoRALayer"/> of the same shape;
/// output = linear(x) + lora(x). State-dict keys follow the book: <c>linear.weight</c>, <c>linear.bias</c>,
/// <c>lora.A</c>, <c>lora.B</c>.
/// </summary>
public sealed class LinearWithLoRA : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear;
    private readonly LoRALayer lora;

    /// <param name="linear">The layer to adapt; its parameters are left as they are (freeze them first).</param>
    /// <param name="rank">LoRA rank.</param>
    /// <param name="alpha">LoRA scale.</param>
    public LinearWithLoRA(Linear linear, long rank, double alpha) : base(nameof(LinearWithLoRA))
    {
        ArgumentNullException.ThrowIfNull(linear);
        this.linear = linear;
        // Created beside the wrapped weight, so wrapping a model already on the GPU (or in bf16) needs no extra move.
        lora = new LoRALayer(linear.in_features, linear.out_features, rank, alpha, linear.weight!.device, linear.weight.dtype);
        RegisterComponents();
    }

    /// <summary>The wrapped layer.</summary>
    public Linear Linear => linear;

    /// <summary>The low-rank update.</summary>
    public LoRALayer LoRA => lora;

    /// <summary>x (…, in) → linear(x) + lora(x) (…, out).</summary>
    public override Tensor forward(Tensor x)
    {
        return linear.call(x) + lora.call(x);   // (…, out)
    }
}
