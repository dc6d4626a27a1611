using LlmFromScratch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Training;

public class GradientClippingTests
{
    private static TinyLanguageModel ModelWithGradients()
    {
        manual_seed(123);
        var model = new TinyLanguageModel();
        using var corpus = new TinyCorpus();
        var (inputs, targets) = corpus.InOrder(batchSize: 4).First();
        using var loss = Losses.CalcLossBatch(inputs, targets, model, CPU);
        loss.backward();
        return model;
    }

    private static double GlobalNorm(nn.Module model)
    {
        using var scope = NewDisposeScope();
        return stack(model.parameters().Select(p => p.grad!.norm(2.0f))).norm(2.0f).item<float>();
    }

    [Fact]
    public void ClipGradNorm_ScalesGradientsDownToMaxNorm_AndReturnsTheNormBefore()
    {
        using var model = ModelWithGradients();
        var before = GlobalNorm(model);

        using var total = GradientClipping.ClipGradNorm(model.parameters(), maxNorm: 0.1);

        before.Should().BeGreaterThan(0.1);
        total!.item<float>().Should().BeApproximately((float)before, 1e-5f);
        GlobalNorm(model).Should().BeApproximately(0.1, 1e-5);
    }

    [Fact]
    public void ClipGradNorm_LeavesGradientsBelowMaxNormUnchanged()
    {
        using var model = ModelWithGradients();
        var before = model.parameters().Select(p => p.grad!.clone()).ToList();

        using var total = GradientClipping.ClipGradNorm(model.parameters(), maxNorm: 1e6);

        foreach (var (param, old) in model.parameters().Zip(before))
            Tensors.Identical(param.grad!, old).Should().BeTrue();
        before.ForEach(t => t.Dispose());
    }

    [Fact]
    public void ClipGradNorm_MatchesTorchClipGradNorm()
    {
        using var ours = ModelWithGradients();
        using var reference = ModelWithGradients();

        using var total = GradientClipping.ClipGradNorm(ours.parameters(), maxNorm: 0.5);
        var referenceTotal = nn.utils.clip_grad_norm_(reference.parameters(), max_norm: 0.5);

        total!.item<float>().Should().Be((float)referenceTotal);
        foreach (var (a, b) in ours.parameters().Zip(reference.parameters()))
            Tensors.Identical(a.grad!, b.grad!).Should().BeTrue("the arithmetic is the same as torch.nn.utils.clip_grad_norm_");
    }

    [Fact]
    public void ClipGradNorm_ReturnsNull_WhenNoParameterHasAGradient()
    {
        using var model = new TinyLanguageModel();

        GradientClipping.ClipGradNorm(model.parameters(), maxNorm: 1.0).Should().BeNull();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ClipGradNorm_Throws_WhenMaxNormIsNotPositiveAndFinite(double maxNorm)
    {
        using var model = new TinyLanguageModel();

        var act = () => GradientClipping.ClipGradNorm(model.parameters(), maxNorm);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxNorm");
    }
}
