using LlmFromScratch.Finetuning;
using LlmFromScratch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Finetuning;

public class ClassificationHeadTests
{
    private static Tensor BookBatch() => tensor(new long[,] { { 6109, 3626, 6100, 345 }, { 6109, 1110, 6622, 257 } });

    [Fact]
    public void Replace_MakesTheModelReturnBatchByTimeByClassLogits()
    {
        using var model = new GptModel(GptConfig.Tiny);
        using var batch = BookBatch();

        var head = ClassificationHead.Replace(model, numClasses: 2);
        using var logits = model.call(batch);

        logits.shape.Should().Equal(2, 4, 2);
        model.OutHead.Should().BeSameAs(head);
        (head.in_features, head.out_features).Should().Be((32, 2));
        model.state_dict().Keys.Where(k => k.StartsWith("out_head")).Should().Equal("out_head.weight", "out_head.bias");
    }

    [Fact]
    public void Replace_LeavesOnlyTheLastBlock_TheFinalNorm_AndTheHeadTrainable()
    {
        using var model = new GptModel(GptConfig.Tiny);

        ClassificationHead.Replace(model, numClasses: 2);

        var lastBlock = model.named_parameters().Select(p => p.name).Where(n => n.StartsWith("trf_blocks.1.")).ToList();
        lastBlock.Should().HaveCount(13);   // attention 4 weights + out_proj bias, ff 2 weights + 2 biases, 2 norms × (scale, shift)
        ClassificationHead.TrainableParameterNames(model).Should()
            .Equal(lastBlock.Concat(["final_norm.scale", "final_norm.shift", "out_head.weight", "out_head.bias"]));
        LoRA.CountTrainableParameters(model).Should().Be(ClassificationHead.TrainableParameterCount(GptConfig.Tiny, 2));
    }

    [Fact]
    public void TrainableCount_OfGpt2Small_IsOneBlockPlusFinalNormPlusHead_WithoutAllocatingTheModel()
    {
        // GPT-2's weights come with query/key/value biases, so chapter 6 builds the 124M model with QkvBias on.
        var config = GptConfig.Gpt124M with { QkvBias = true };
        var previous = get_default_device();
        set_default_device(META);   // shapes only: nothing is allocated for the 163M parameters
        try
        {
            using var model = new GptModel(config);

            ClassificationHead.Replace(model, numClasses: 2);

            // One block (7,087,872) + final norm (2 · 768) + head (768 · 2 + 2).
            LoRA.CountTrainableParameters(model).Should().Be(7_087_872 + 1_536 + 1_538);
            ClassificationHead.TrainableParameterCount(config, 2).Should().Be(7_090_946);
            ClassificationHead.TrainableParameterCount(GptConfig.Gpt124M, 2).Should().Be(7_088_642);   // without the biases
            ModelSize.CountParameters(model).Should().Be(ModelSize.ParameterCountWithTiedHead(config) + 1_538);
        }
        finally
        {
            set_default_device(previous);
        }
    }

    [Fact]
    public void OptimizerStep_ChangesEveryTrainableParameter_AndNoFrozenOne()
    {
        manual_seed(123);
        using var model = new GptModel(GptConfig.Tiny with { DropRate = 0.0 });
        ClassificationHead.Replace(model, numClasses: 2);
        // As in the book, the optimizer gets all parameters, frozen ones included, with weight decay on.
        var optimizer = optim.AdamW(model.parameters(), lr: 1e-2, weight_decay: 0.1);
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        using var batch = BookBatch();

        optimizer.zero_grad();
        using var loss = ClassificationMetrics.LastTokenLoss(model.call(batch), tensor(new long[] { 0, 1 }));
        loss.backward();
        optimizer.step();

        foreach (var (name, p) in model.named_parameters())
        {
            var changed = !p.detach().eq(before[name]).all().item<bool>();
            changed.Should().Be(p.requires_grad, $"{name} is {(p.requires_grad ? "trainable" : "frozen")}");
        }
        model.named_parameters().Count(p => p.parameter.requires_grad).Should().Be(17);
    }

    [Fact]
    public void Replace_WithoutFreezing_KeepsEveryParameterTrainable()
    {
        using var model = new GptModel(GptConfig.Tiny);

        ClassificationHead.Replace(model, numClasses: 3, freeze: false);

        model.parameters().Should().OnlyContain(p => p.requires_grad);
        LoRA.CountTrainableParameters(model).Should().Be(ModelSize.ParameterCountWithTiedHead(GptConfig.Tiny) + 32 * 3 + 3);
    }

    [Fact]
    public void Replace_Throws_ForFewerThanTwoClasses()
    {
        using var model = new GptModel(GptConfig.Tiny);

        var act = () => ClassificationHead.Replace(model, numClasses: 1);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("numClasses").WithMessage("*at least 2*");
    }
}
