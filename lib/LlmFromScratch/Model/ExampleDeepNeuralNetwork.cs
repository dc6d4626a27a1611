using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Model;

/// <summary>
/// Section 4.4: five Linear + GELU layers, with or without shortcut (residual) connections, to show that
/// shortcuts keep gradients from vanishing on their way back to the first layers.
/// </summary>
public sealed class ExampleDeepNeuralNetwork : Module<Tensor, Tensor>
{
    private readonly ModuleList<Sequential> layers;
    private readonly bool _useShortcut;

    /// <param name="layerSizes">Six sizes: the input and the output of each of the five layers.</param>
    /// <param name="useShortcut">Add each layer's input to its output where the shapes match.</param>
    public ExampleDeepNeuralNetwork(IReadOnlyList<int> layerSizes, bool useShortcut) : base(nameof(ExampleDeepNeuralNetwork))
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        if (layerSizes.Count != 6)
            throw new ArgumentException($"expected 6 layer sizes (input + 5 layers), got {layerSizes.Count}", nameof(layerSizes));
        _useShortcut = useShortcut;
        layers = ModuleList(Enumerable.Range(0, 5)
            .Select(i => Sequential(Linear(layerSizes[i], layerSizes[i + 1]), new Gelu()))
            .ToArray());
        RegisterComponents();
    }

    /// <param name="x">Shape (b, layerSizes[0]).</param>
    /// <returns>Shape (b, layerSizes[5]).</returns>
    public override Tensor forward(Tensor x)
    {
        var current = x.alias();
        foreach (var layer in layers)
        {
            var output = layer.call(current); // (b, next size)
            var next = _useShortcut && output.shape.SequenceEqual(current.shape) ? current + output : output.alias();
            output.Dispose();
            current.Dispose();
            current = next;
        }
        return current;
    }
}
