using LlmFromScratch.Finetuning;
using LlmFromScratch.Model;
using LlmFromScratch.Weights;
using TorchSharp;
using static LlmFromScratch.Tests.Attention.BookInputs;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LlmFromScratch.Tests.Model;

public class GptModelTests
{
    /// <summary>"Every effort moves you" and "Every day holds a" as GPT-2 token ids (the book's batch).</summary>
    private static Tensor BookBatch() => tensor(new long[,] { { 6109, 3626, 6100, 345 }, { 6109, 1110, 6622, 257 } });

    [Fact]
    public void Forward_ReturnsBatchByTokensByVocabLogits()
    {
        using var model = new GptModel(GptConfig.Tiny);
        using var batch = BookBatch();

        using var logits = model.call(batch);

        logits.shape.Should().Equal(2, 4, 50257);
    }

    [Fact]
    public void StateDict_ForTwelveLayers_IsExactlyTheBooksKeyList()
    {
        using var model = new GptModel(GptConfig.Tiny with { NLayers = 12 });

        model.state_dict().Keys.Should().Equal(ExpectedKeys(12, qkvBias: false));
    }

    [Fact]
    public void StateDict_WithQkvBias_AddsTheThreeProjectionBiases()
    {
        using var model = new GptModel(GptConfig.Tiny with { NLayers = 12, QkvBias = true });

        model.state_dict().Keys.Should().Equal(ExpectedKeys(12, qkvBias: true));
    }

    [Fact]
    public void Forward_Throws_WhenTheInputIsLongerThanTheContext()
    {
        using var model = new GptModel(GptConfig.Tiny);
        using var tooLong = zeros(1, 33, dtype: ScalarType.Int64);

        var act = () => model.call(tooLong);

        act.Should().Throw<ArgumentException>().WithParameterName("inIdx").WithMessage("sequence length 33 exceeds ContextLength 32*");
    }

    [Fact]
    public void Forward_Throws_WhenTheInputIsNotBatchByTokens()
    {
        using var model = new GptModel(GptConfig.Tiny);
        using var flat = zeros(5, dtype: ScalarType.Int64);

        var act = () => model.call(flat);

        act.Should().Throw<ArgumentException>().WithParameterName("inIdx");
    }

    [Fact]
    public void Constructor_Throws_ForAConfigWhoseHeadsDoNotDivideTheWidth()
    {
        var act = () => new GptModel(GptConfig.Tiny with { NHeads = 5 });

        act.Should().Throw<ArgumentException>().WithMessage("EmbDim 32 must be divisible by NHeads 5*");
    }

    [Fact]
    public void Sdpa_AndExplicitAttention_GiveTheSameLogits()
    {
        manual_seed(5);
        using var fused = new GptModel(GptConfig.Tiny);
        manual_seed(5);
        using var manual = new GptModel(GptConfig.Tiny with { UseSdpa = false });
        fused.eval();
        manual.eval();
        using var batch = BookBatch();

        using var a = fused.call(batch);
        using var b = manual.call(batch);

        Floats(a).Should().Equal(Floats(b), (x, y) => Math.Abs(x - y) < 1e-4f);
    }

    [Fact]
    public void ForwardWithCache_FedTokenByToken_GivesTheSameLogitsAsOneFullForward()
    {
        using var model = new GptModel(GptConfig.Tiny);
        model.eval();
        using var ids = randint(0, 50257, [2, 9]);
        using var full = model.call(ids);
        using var cache = model.CreateKvCache();

        var steps = Enumerable.Range(0, 9).Select(i => model.forward(ids[.., i..(i + 1)], cache)).ToList();
        using var stitched = cat(steps, dim: 1);

        cache.Length.Should().Be(9);
        Floats(stitched).Should().Equal(Floats(full), (x, y) => Math.Abs(x - y) < 1e-4f);
    }

    [Fact]
    public void ForwardWithCache_Throws_WhenCachedPlusNewTokensExceedTheContext()
    {
        using var model = new GptModel(GptConfig.Tiny);
        using var cache = model.CreateKvCache();
        using var first = model.forward(zeros(1, 30, dtype: ScalarType.Int64), cache);

        var act = () => model.forward(zeros(1, 3, dtype: ScalarType.Int64), cache);

        act.Should().Throw<ArgumentException>().WithMessage("sequence length 33 (30 cached + 3 new) exceeds ContextLength 32*");
    }

    [Fact]
    public void Backward_ReachesEveryParameter()
    {
        using var model = new GptModel(GptConfig.Tiny with { DropRate = 0.0 });
        using var ids = randint(0, 50257, [2, 8]);

        using var loss = functional.cross_entropy(model.call(ids).flatten(0, 1), ids.flatten());
        loss.backward();

        model.named_parameters().Should().AllSatisfy(p =>
            p.parameter.grad!.abs().sum().item<float>().Should().BeGreaterThan(0f, p.name));
    }

    [Fact]
    public void OutHead_CanBeReplacedByAClassificationHead_KeepingItsName()
    {
        // Chapter 6: model.out_head = Linear(emb, 2).
        using var model = new GptModel(GptConfig.Tiny);
        using var batch = BookBatch();

        ModuleSurgery.ReplaceChild(model, "out_head", Linear(32, 2));
        using var logits = model.call(batch);

        logits.shape.Should().Equal(2, 4, 2);
        model.OutHead.Should().BeOfType<TorchSharp.Modules.Linear>().Which.out_features.Should().Be(2);
        model.state_dict().Keys.Where(k => k.StartsWith("out_head")).Should().Equal("out_head.weight", "out_head.bias");
    }

    [Fact]
    public void EveryLinearLayer_CanBeWrappedWithLoRA_AndTheModelStillRuns()
    {
        // Appendix E replaces every Linear (attention projections, feed-forward, head) inside the real model.
        using var model = new GptModel(GptConfig.Tiny);
        model.eval();
        using var batch = BookBatch();
        using var before = model.call(batch);

        var wrapped = LoRA.ReplaceLinearWithLoRA(model, rank: 2, alpha: 2);
        using var after = model.call(batch);

        wrapped.Should().Be(2 * 6 + 1); // per block: W_query, W_key, W_value, out_proj, ff.layers.0, ff.layers.2; plus out_head
        // LoRA's B starts at zero, so the wrapped model still computes what it did before.
        Floats(after).Should().Equal(Floats(before), (x, y) => Math.Abs(x - y) < 1e-5f);
        LoRA.CountTrainableParameters(model).Should().BeGreaterThan(0);
    }

    [Fact]
    public void HuggingFaceExport_LoadsBackIntoAFreshModel_WithIdenticalLogits()
    {
        // The Weights helpers map GPT-2 checkpoints onto exactly this model's keys (QkvBias on, as in GPT-2).
        var config = GptConfig.Tiny with { QkvBias = true };
        using var original = new GptModel(config);
        using var copy = new GptModel(config);
        original.eval();
        copy.eval();
        var path = Path.Combine(Path.GetTempPath(), $"gpt-model-test-{Guid.NewGuid():N}.safetensors");
        using var batch = BookBatch();
        try
        {
            HfGpt2.Export(original, path, includeLmHead: true);
            HfGpt2.LoadInto(copy, path);

            Floats(copy.call(batch)).Should().Equal(Floats(original.call(batch)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static IEnumerable<string> ExpectedKeys(int layers, bool qkvBias)
    {
        yield return "tok_emb.weight";
        yield return "pos_emb.weight";
        for (var i = 0; i < layers; i++)
        {
            foreach (var w in new[] { "W_query", "W_key", "W_value" })
            {
                yield return $"trf_blocks.{i}.att.{w}.weight";
                if (qkvBias) yield return $"trf_blocks.{i}.att.{w}.bias";
            }
            yield return $"trf_blocks.{i}.att.out_proj.weight";
            yield return $"trf_blocks.{i}.att.out_proj.bias";
            yield return $"trf_blocks.{i}.ff.layers.0.weight";
            yield return $"trf_blocks.{i}.ff.layers.0.bias";
            yield return $"trf_blocks.{i}.ff.layers.2.weight";
            yield return $"trf_blocks.{i}.ff.layers.2.bias";
            yield return $"trf_blocks.{i}.norm1.scale";
            yield return $"trf_blocks.{i}.norm1.shift";
            yield return $"trf_blocks.{i}.norm2.scale";
            yield return $"trf_blocks.{i}.norm2.shift";
        }
        yield return "final_norm.scale";
        yield return "final_norm.shift";
        yield return "out_head.weight";
    }

    [Fact]
    public void ComputeDtype_IsFloat32ByDefault_AndSettingItReachesEveryBlock()
    {
        using var model = new GptModel(GptConfig.Tiny);
        model.ComputeDtype.Should().Be(ScalarType.Float32);

        model.ComputeDtype = ScalarType.BFloat16;

        model.modules().OfType<TransformerBlock>().Should().HaveCount(2)
            .And.OnlyContain(b => b.ComputeDtype == ScalarType.BFloat16);
        model.modules().OfType<LlmFromScratch.Attention.MultiHeadAttention>().Should().OnlyContain(a => a.ComputeDtype == ScalarType.BFloat16);
        model.modules().OfType<FeedForward>().Should().OnlyContain(f => f.ComputeDtype == ScalarType.BFloat16);
    }

    [Fact]
    public void ComputeDtype_Throws_ForFloat16()
    {
        using var model = new GptModel(GptConfig.Tiny);

        var act = () => model.ComputeDtype = ScalarType.Float16;

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("ComputeDtype");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Forward_InBFloat16_GivesFloat32LogitsCloseToTheFloat32Ones(bool useSdpa)
    {
        manual_seed(21);
        using var model = new GptModel(GptConfig.Tiny with { UseSdpa = useSdpa });
        model.eval();
        using var batch = BookBatch();
        using var exact = model.call(batch);

        model.ComputeDtype = ScalarType.BFloat16;
        using var mixed = model.call(batch);

        mixed.dtype.Should().Be(ScalarType.Float32);
        model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32, "weights stay float32 masters");
        // Logits of an untrained tiny model are of order 1; bfloat16 products keep them to about 2 decimal places.
        var maxDiff = (mixed - exact).abs().max().item<float>();
        maxDiff.Should().BeGreaterThan(0f).And.BeLessThan(0.1f);
    }

    [Fact]
    public void Backward_InBFloat16_ReachesEveryParameter_WithFloat32Gradients()
    {
        using var model = new GptModel(GptConfig.Tiny with { DropRate = 0.0 });
        model.ComputeDtype = ScalarType.BFloat16;
        using var ids = randint(0, 50257, [2, 8]);

        using var loss = functional.cross_entropy(model.call(ids).flatten(0, 1), ids.flatten());
        loss.backward();

        model.named_parameters().Should().AllSatisfy(p =>
        {
            p.parameter.grad!.dtype.Should().Be(ScalarType.Float32, p.name);
            p.parameter.grad!.abs().sum().item<float>().Should().BeGreaterThan(0f, p.name);
        });
    }

    [Fact]
    public void ForwardWithCache_InBFloat16_MatchesTheUncachedBFloat16Forward()
    {
        using var model = new GptModel(GptConfig.Tiny);
        model.eval();
        model.ComputeDtype = ScalarType.BFloat16;
        using var ids = randint(0, 50257, [1, 6]);
        using var full = model.call(ids);
        using var cache = model.CreateKvCache();

        using var first = model.forward(ids[.., ..4], cache);
        using var rest = model.forward(ids[.., 4..], cache);
        using var stitched = cat([first, rest], dim: 1);

        Floats(stitched).Should().Equal(Floats(full), (x, y) => Math.Abs(x - y) < 0.05f);
    }
}
