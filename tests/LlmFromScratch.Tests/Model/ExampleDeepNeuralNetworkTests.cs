using LlmFromScratch.Model;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Model;

public class ExampleDeepNeuralNetworkTests
{
    private static readonly int[] LayerSizes = [3, 3, 3, 3, 3, 1];

    [Theory]
    [InlineData(false, new[] { 0.00020173587836325169, 0.00012011159560643137, 0.0007152039906941354, 0.0013988736318424344, 0.005049645435065031 })]
    [InlineData(true, new[] { 0.22169792652130127, 0.20694106817245483, 0.32896995544433594, 0.2665732204914093, 1.3258540630340576 })]
    public void Gradients_WithSeed123_MatchTheBooksMeans(bool useShortcut, double[] expected)
    {
        manual_seed(123);
        using var model = new ExampleDeepNeuralNetwork(LayerSizes, useShortcut);
        using var input = tensor(new[,] { { 1f, 0f, -1f } });
        using var target = tensor(new[,] { { 0f } });

        using var output = model.call(input);
        using var loss = nn.functional.mse_loss(output, target);
        loss.backward();

        var means = model.named_parameters().Where(p => p.name.EndsWith("weight"))
            .Select(p => (double)p.parameter.grad!.abs().mean().item<float>()).ToArray();
        model.named_parameters().Where(p => p.name.EndsWith("weight")).Select(p => p.name)
            .Should().Equal("layers.0.0.weight", "layers.1.0.weight", "layers.2.0.weight", "layers.3.0.weight", "layers.4.0.weight");
        means.Should().Equal(expected, (a, e) => Math.Abs(a - e) <= 1e-4 * Math.Abs(e));
    }

    [Fact]
    public void Shortcuts_KeepTheFirstLayersGradientFromVanishing()
    {
        double FirstLayerGradient(bool useShortcut)
        {
            manual_seed(123);
            using var model = new ExampleDeepNeuralNetwork(LayerSizes, useShortcut);
            using var loss = model.call(tensor(new[,] { { 1f, 0f, -1f } })).square().mean();
            loss.backward();
            return model.named_parameters().First().parameter.grad!.abs().mean().item<float>();
        }

        FirstLayerGradient(useShortcut: true).Should().BeGreaterThan(100 * FirstLayerGradient(useShortcut: false));
    }

    [Fact]
    public void Constructor_Throws_UnlessGivenSixSizes()
    {
        var act = () => new ExampleDeepNeuralNetwork([3, 3, 1], useShortcut: true);

        act.Should().Throw<ArgumentException>().WithParameterName("layerSizes");
    }
}
