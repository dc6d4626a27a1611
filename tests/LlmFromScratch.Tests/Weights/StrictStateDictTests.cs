using LlmFromScratch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Weights;

public class StrictStateDictTests
{
    [Fact]
    public void Load_CopiesEveryTensorInPlace_ConvertingTheDtype()
    {
        using var model = nn.Linear(3, 2);
        var weightBefore = model.state_dict()["weight"];
        var weights = new Dictionary<string, Tensor>
        {
            ["weight"] = arange(6, dtype: ScalarType.Float64).reshape(2, 3),
            ["bias"] = tensor(new[] { 7.0, 8.0 }),
        };

        StrictStateDict.Load(model, weights);

        var sd = model.state_dict();
        sd["weight"].Handle.Should().Be(weightBefore.Handle, "values are copied into the existing parameter");
        sd["weight"].dtype.Should().Be(ScalarType.Float32);
        sd["weight"].data<float>().ToArray().Should().Equal(0, 1, 2, 3, 4, 5);
        sd["bias"].data<float>().ToArray().Should().Equal(7, 8);
        sd["weight"].requires_grad.Should().BeTrue();
    }

    [Fact]
    public void Load_ListsEveryMissingExtraAndMisshapenKey_AndCopiesNothing()
    {
        using var model = nn.Linear(3, 2);
        using var biasBefore = model.state_dict()["bias"].clone();
        var weights = new Dictionary<string, Tensor>
        {
            ["weight"] = zeros(3, 2),
            ["bias"] = zeros(2),
            ["scale"] = zeros(4),
        };
        weights.Remove("bias");
        weights["bias_typo"] = zeros(2);

        var act = () => StrictStateDict.Load(model, weights, "ckpt.safetensors");

        var e = act.Should().Throw<WeightsMismatchException>().Which;
        e.Message.Should().StartWith("The weights in ckpt.safetensors do not fit the model (4 problems); nothing was loaded:");
        e.Problems.Should().BeEquivalentTo(
            "shape of 'weight': model [2, 3], ckpt.safetensors [3, 2]",
            "missing 'bias': model [2], ckpt.safetensors has no such key",
            "extra 'scale': ckpt.safetensors [4], model has no such key",
            "extra 'bias_typo': ckpt.safetensors [2], model has no such key");
        model.state_dict()["bias"].equal(biasBefore).all().item<bool>().Should().BeTrue();
    }
}
