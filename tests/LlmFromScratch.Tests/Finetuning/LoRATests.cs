using LlmFromScratch.Finetuning;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class LoRATests
{
    [Fact]
    public void ReplaceLinearWithLoRA_LeavesOnlyLoRATrainable_WithRankTimesInPlusOutParameters()
    {
        using var model = nn.Sequential(
            ("0", nn.Linear(10, 20)),
            ("1", nn.GELU()),
            ("2", nn.Sequential(("0", nn.Linear(20, 30)), ("1", nn.Linear(30, 4, hasBias: false)))));

        var wrapped = LoRA.ReplaceLinearWithLoRA(model, rank: 3, alpha: 8);

        wrapped.Should().Be(3);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        trainable.Should().Equal("0.lora.A", "0.lora.B", "2.0.lora.A", "2.0.lora.B", "2.1.lora.A", "2.1.lora.B");
        LoRA.CountTrainableParameters(model).Should().Be(3 * (10 + 20) + 3 * (20 + 30) + 3 * (30 + 4));
        model.named_parameters().Count(p => !p.parameter.requires_grad).Should().Be(5);   // 3 weights, 2 biases
    }

    [Fact]
    public void ReplaceLinearWithLoRA_KeepsTheOutput_AtInit_AndTheBaseWeights()
    {
        manual_seed(123);
        using var model = nn.Sequential(("0", nn.Linear(6, 6)), ("1", nn.ReLU()), ("2", nn.Linear(6, 2)));
        var x = randn(4, 6);
        var before = model.call(x).data<float>().ToArray();
        var firstWeight = model.named_parameters().First().parameter;

        LoRA.ReplaceLinearWithLoRA(model, rank: 2, alpha: 16);

        model.call(x).data<float>().ToArray().Should().Equal(before);
        model.named_children().Select(c => c.module.GetType()).Should().Equal(typeof(LinearWithLoRA), typeof(ReLU), typeof(LinearWithLoRA));
        ((LinearWithLoRA)model.named_children().First().module).Linear.weight.Should().BeSameAs(firstWeight);
    }

    [Fact]
    public void ReplaceLinearWithLoRA_WithoutFreezing_KeepsTheBaseTrainable()
    {
        using var model = nn.Sequential(("0", nn.Linear(3, 2)));

        LoRA.ReplaceLinearWithLoRA(model, rank: 1, alpha: 1, freezeBase: false);

        LoRA.CountTrainableParameters(model).Should().Be(3 * 2 + 2 + 1 * (3 + 2));
    }

    [Fact]
    public void TrainableCount_OfGpt2SmallWithAClassHead_AtRank16_Is2666528()
    {
        // The 124M model's linear layers by shape, with no weights allocated (meta device): per block the four
        // attention projections (768→768) and the feed-forward pair (768→3072→768); then the 2-class head.
        var blocks = Enumerable.Range(0, 12).Select(b => ($"{b}", (nn.Module<Tensor, Tensor>)nn.Sequential(
            ("W_query", nn.Linear(768, 768, device: META)),
            ("W_key", nn.Linear(768, 768, device: META)),
            ("W_value", nn.Linear(768, 768, device: META)),
            ("out_proj", nn.Linear(768, 768, device: META)),
            ("ff0", nn.Linear(768, 3072, device: META)),
            ("ff2", nn.Linear(3072, 768, device: META))))).ToArray();
        using var model = nn.Sequential(("trf_blocks", nn.Sequential(blocks)), ("out_head", nn.Linear(768, 2, device: META)));

        LoRA.ReplaceLinearWithLoRA(model, rank: 16, alpha: 16);

        var formula = 12 * (4 * LoRA.ParameterCount(768, 768, 16) + LoRA.ParameterCount(768, 3072, 16) + LoRA.ParameterCount(3072, 768, 16))
                      + LoRA.ParameterCount(768, 2, 16);
        formula.Should().Be(2_666_528);
        LoRA.CountTrainableParameters(model).Should().Be(2_666_528);
    }
}
