using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Training;

/// <summary>
/// <c>torch.optim.AdamW</c> with the same update, bit for bit, but no parameter-sized temporaries: TorchSharp's AdamW
/// computes its denominator <c>√v / √(1 − β₂ᵗ) + ε</c> as two new tensors per parameter per step (1.3 GB for GPT-2
/// 124M), which the allocator maps fresh and the kernel zero-fills every step. This one writes the denominator into
/// one reused buffer. TorchSharp has no <c>foreach</c> or <c>fused</c> AdamW to switch on instead (libtorch's fused kernel
/// can be reached through TorchScript, but that crashed in TorchSharp's finalizer under jemalloc).
/// </summary>
/// <remarks>
/// Drop-in: it is a <see cref="AdamW"/> (same constructor, options, state and learning-rate control), so the
/// trainer, schedules and checkpoints work unchanged; a checkpoint records the optimizer's type name, so resume with
/// the same type. AMSGrad and <c>maximize</c> take the base class's path.
/// </remarks>
/// <example><c>var optimizer = new InPlaceAdamW(model.parameters(), lr: 4e-4, weight_decay: 0.1);</c></example>
public sealed class InPlaceAdamW : AdamW
{
    private readonly Dictionary<(DeviceType, int, ScalarType), Tensor> _buffers = new();
    private readonly Dictionary<IntPtr, Tensor> _denominators = new();   // per parameter: a view of its buffer

    /// <summary>Same arguments and defaults as <c>torch.optim.AdamW</c>'s class constructor.</summary>
    /// <param name="parameters">The parameters to optimise.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="beta1">Decay of the running mean of gradients.</param>
    /// <param name="beta2">Decay of the running mean of squared gradients.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weight_decay">Decoupled weight decay.</param>
    /// <param name="amsgrad">AMSGrad variant (runs the base class's step).</param>
    /// <param name="maximize">Maximise instead of minimise (runs the base class's step).</param>
    public InPlaceAdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)
    {
    }

    /// <summary>One AdamW update of every parameter that has a gradient.</summary>
    /// <param name="closure">Re-evaluates the loss; optional, as in TorchSharp.</param>
    /// <returns>The closure's loss, or null.</returns>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        var plain = _parameter_groups.All(g => g.Options is Options { amsgrad: false, maximize: false });
        if (!plain) return base.step(closure!);
        return _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            var (beta1, beta2) = (options.beta1!.Value, options.beta2!.Value);
            var (lr, weightDecay, eps) = (options.LearningRate!.Value, options.weight_decay!.Value, options.eps!.Value);
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;   // a new handle, freed with _step's dispose scope
                if (grad is null) continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                // The same operations in the same order as AdamW.step, so the results are identical.
                param.mul_(1 - lr * weightDecay);
                var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                var biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(beta1).add_(grad, alpha: 1 - beta1);
                state.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
                var denom = Denominator(param);
                denom.copy_(state.exp_avg_sq).sqrt_().div_(Math.Sqrt(biasCorrection2)).add_(eps);
                param.addcdiv_(state.exp_avg, denom, value: -(lr / biasCorrection1));
            }
        }, closure);
    }

    /// <summary>
    /// Where <paramref name="param"/>'s denominator is written: a view, shaped like it, of one buffer per device and
    /// dtype that is as large as the largest such parameter. Made once, so a step creates no tensors but the gradient
    /// handles.
    /// </summary>
    private Tensor Denominator(Parameter param)
    {
        if (_denominators.TryGetValue(param.Handle, out var view)) return view;
        var key = (param.device_type, param.device_index, param.dtype);
        if (!_buffers.TryGetValue(key, out var buffer) || buffer.numel() < param.numel())   // none yet, or a group was added
        {
            buffer?.Dispose();   // views made from it keep its storage alive
            var largest = _parameter_groups.SelectMany(g => g.Parameters)
                .Where(p => (p.device_type, p.device_index, p.dtype) == key).Max(p => p.numel());
            buffer = empty(largest, param.dtype, param.device).DetachFromDisposeScope();
            _buffers[key] = buffer;
        }
        using var flat = buffer.narrow(0, 0, param.numel());
        view = flat.view(param.shape).DetachFromDisposeScope();
        _denominators[param.Handle] = view;
        return view;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var tensor in _denominators.Values.Concat(_buffers.Values)) tensor.Dispose();
        _denominators.Clear();
        _buffers.Clear();
        base.Dispose(disposing);
    }
}
