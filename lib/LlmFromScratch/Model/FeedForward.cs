using LlmFromScratch.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Model;

/// <summary>
/// Section 4.3: the block's position-wise MLP, Linear(emb, 4·emb) → GELU → Linear(4·emb, emb). Widening
/// to four times the embedding gives each token a larger space to transform in before projecting back.
/// </summary>
/// <remarks>New (mixed precision): with <see cref="ComputeDtype"/> bfloat16 the two products run in bfloat16 and GELU
/// in float32 (see <see cref="MixedPrecision"/>).</remarks>
public sealed class FeedForward : Module<Tensor, Tensor>, IMixedPrecision
{
    // A Sequential named "layers" gives the book's keys: ff.layers.0.weight, ff.layers.2.weight.
    private readonly Sequential layers;

    /// <param name="config">Uses EmbDim.</param>
    public FeedForward(GptConfig config) : base(nameof(FeedForward))
    {
        ArgumentNullException.ThrowIfNull(config);
        layers = Sequential(
            Linear(config.EmbDim, 4 * config.EmbDim),
            new Gelu(),
            Linear(4 * config.EmbDim, config.EmbDim));
        RegisterComponents();
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">Set to a dtype other than Float32 or BFloat16.</exception>
    public ScalarType ComputeDtype
    {
        get;
        set => field = MixedPrecision.Require(value, nameof(ComputeDtype));
    } = ScalarType.Float32;

    /// <param name="x">Shape (b, t, EmbDim).</param>
    /// <returns>Shape (b, t, EmbDim), float32.</returns>
    public override Tensor forward(Tensor x) => ComputeDtype == ScalarType.Float32 ? layers.call(x) : MixedForward(x);

    /// <summary>The layers one by one, so the linear ones can compute in the compute dtype.</summary>
    private Tensor MixedForward(Tensor x)
    {
        var h = x.alias();
        foreach (var layer in layers.children().Cast<Module<Tensor, Tensor>>())
        {
            using var input = h;
            h = MixedPrecision.Linear(layer, input, ComputeDtype); // (b, t, 4·emb), then (b, t, emb); GELU as is
        }
        return h;
    }
}
