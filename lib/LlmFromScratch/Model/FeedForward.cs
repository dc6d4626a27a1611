using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Model;

/// <summary>
/// Section 4.3: the block's position-wise MLP, Linear(emb, 4·emb) → GELU → Linear(4·emb, emb). Widening
/// to four times the embedding gives each token a larger space to transform in before projecting back.
/// </summary>
public sealed class FeedForward : Module<Tensor, Tensor>
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

    /// <param name="x">Shape (b, t, EmbDim).</param>
    /// <returns>Shape (b, t, EmbDim).</returns>
    public override Tensor forward(Tensor x) => layers.call(x);
}
