using LlmFromScratch.Model;
using LlmFromScratch.Tests.Training;
using LlmFromScratch.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Weights;

public sealed class HfGpt2Tests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hfgpt2-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>A random Hugging Face GPT-2 state dict (Conv1D orientation), with the mask buffers real files carry.</summary>
    internal static Dictionary<string, Tensor> RandomHf(int vocab, int context, int emb, int layers, string prefix = "", bool maskBuffers = true)
    {
        var d = new Dictionary<string, Tensor>
        {
            [prefix + "wte.weight"] = randn(vocab, emb),
            [prefix + "wpe.weight"] = randn(context, emb),
            [prefix + "ln_f.weight"] = randn(emb),
            [prefix + "ln_f.bias"] = randn(emb),
        };
        for (var i = 0; i < layers; i++)
        {
            var h = $"{prefix}h.{i}.";
            d[h + "ln_1.weight"] = randn(emb);
            d[h + "ln_1.bias"] = randn(emb);
            d[h + "attn.c_attn.weight"] = randn(emb, 3 * emb);
            d[h + "attn.c_attn.bias"] = randn(3 * emb);
            d[h + "attn.c_proj.weight"] = randn(emb, emb);
            d[h + "attn.c_proj.bias"] = randn(emb);
            d[h + "ln_2.weight"] = randn(emb);
            d[h + "ln_2.bias"] = randn(emb);
            d[h + "mlp.c_fc.weight"] = randn(emb, 4 * emb);
            d[h + "mlp.c_fc.bias"] = randn(4 * emb);
            d[h + "mlp.c_proj.weight"] = randn(4 * emb, emb);
            d[h + "mlp.c_proj.bias"] = randn(emb);
            if (maskBuffers)
            {
                d[h + "attn.bias"] = ones(1, 1, context, context).tril();
                d[h + "attn.masked_bias"] = tensor(-1e4f);
            }
        }
        return d;
    }

    internal static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.equal(b).all().item<bool>();

    [Fact]
    public void ToCourseStateDict_SplitsCAttnIntoQueryKeyValue_AndTransposesConv1D()
    {
        var hf = RandomHf(vocab: 3, context: 2, emb: 2, layers: 1);
        hf["h.0.attn.c_attn.weight"] = arange(12, dtype: ScalarType.Float32).reshape(2, 6);
        hf["h.0.attn.c_attn.bias"] = arange(6, dtype: ScalarType.Float32);
        hf["h.0.attn.c_proj.weight"] = tensor(new[] { 1f, 2f, 3f, 4f }).reshape(2, 2);

        var course = HfGpt2.ToCourseStateDict(hf, nLayers: 1);

        // Conv1D stores (in, out); Linear (out, in). c_attn's output columns are [q q | k k | v v].
        Floats(course["trf_blocks.0.att.W_query.weight"]).Should().Equal(0, 6, 1, 7);
        Floats(course["trf_blocks.0.att.W_key.weight"]).Should().Equal(2, 8, 3, 9);
        Floats(course["trf_blocks.0.att.W_value.weight"]).Should().Equal(4, 10, 5, 11);
        Floats(course["trf_blocks.0.att.W_query.bias"]).Should().Equal(0, 1);
        Floats(course["trf_blocks.0.att.W_key.bias"]).Should().Equal(2, 3);
        Floats(course["trf_blocks.0.att.W_value.bias"]).Should().Equal(4, 5);
        Floats(course["trf_blocks.0.att.out_proj.weight"]).Should().Equal(1, 3, 2, 4);
        course["trf_blocks.0.ff.layers.0.weight"].shape.Should().Equal(8, 2);
        course["trf_blocks.0.ff.layers.2.weight"].shape.Should().Equal(2, 8);
    }

    [Fact]
    public void ToCourseStateDict_ComputesWhatHuggingFaceComputes_ForEveryProjection()
    {
        var hf = RandomHf(vocab: 11, context: 5, emb: 8, layers: 2);
        using var x = randn(3, 8);
        using var hidden = randn(3, 32);

        var course = HfGpt2.ToCourseStateDict(hf, nLayers: 2);

        // Hugging Face: y = x @ W + b (Conv1D). The course: y = x @ W.T + b (Linear).
        var qkv = x.matmul(hf["h.1.attn.c_attn.weight"]) + hf["h.1.attn.c_attn.bias"];
        var parts = qkv.chunk(3, 1);
        string[] names = ["W_query", "W_key", "W_value"];
        for (var j = 0; j < 3; j++)
        {
            var mine = nn.functional.linear(x, course[$"trf_blocks.1.att.{names[j]}.weight"], course[$"trf_blocks.1.att.{names[j]}.bias"]);
            mine.allclose(parts[j], rtol: 1e-5, atol: 1e-6).Should().BeTrue(names[j]);
        }
        nn.functional.linear(x, course["trf_blocks.1.att.out_proj.weight"], course["trf_blocks.1.att.out_proj.bias"])
            .allclose(x.matmul(hf["h.1.attn.c_proj.weight"]) + hf["h.1.attn.c_proj.bias"], rtol: 1e-5, atol: 1e-6).Should().BeTrue();
        nn.functional.linear(x, course["trf_blocks.1.ff.layers.0.weight"], course["trf_blocks.1.ff.layers.0.bias"])
            .allclose(x.matmul(hf["h.1.mlp.c_fc.weight"]) + hf["h.1.mlp.c_fc.bias"], rtol: 1e-5, atol: 1e-6).Should().BeTrue();
        nn.functional.linear(hidden, course["trf_blocks.1.ff.layers.2.weight"], course["trf_blocks.1.ff.layers.2.bias"])
            .allclose(hidden.matmul(hf["h.1.mlp.c_proj.weight"]) + hf["h.1.mlp.c_proj.bias"], rtol: 1e-5, atol: 1e-6).Should().BeTrue();
        Same(course["tok_emb.weight"], hf["wte.weight"]).Should().BeTrue();
        Same(course["out_head.weight"], hf["wte.weight"]).Should().BeTrue("GPT-2 ties its output head to the token embedding");
        Same(course["pos_emb.weight"], hf["wpe.weight"]).Should().BeTrue();
        Same(course["trf_blocks.1.norm1.scale"], hf["h.1.ln_1.weight"]).Should().BeTrue();
        Same(course["trf_blocks.1.norm2.shift"], hf["h.1.ln_2.bias"]).Should().BeTrue();
        Same(course["final_norm.scale"], hf["ln_f.weight"]).Should().BeTrue();
        course.Should().HaveCount(3 + 16 * 2 + 2);
    }

    [Fact]
    public void ToCourseStateDict_AcceptsTheTransformerPrefix_AndAnLmHead()
    {
        var hf = RandomHf(vocab: 7, context: 4, emb: 4, layers: 1, prefix: "transformer.");
        hf["lm_head.weight"] = randn(7, 4);

        var course = HfGpt2.ToCourseStateDict(hf, nLayers: 1);

        Same(course["tok_emb.weight"], hf["transformer.wte.weight"]).Should().BeTrue();
        Same(course["out_head.weight"], hf["lm_head.weight"]).Should().BeTrue();
    }

    [Fact]
    public void ToCourseStateDict_ReturnsCopies_ThatDoNotAliasTheInput()
    {
        var hf = RandomHf(vocab: 5, context: 3, emb: 4, layers: 1);
        using var before = hf["wte.weight"].clone();

        var course = HfGpt2.ToCourseStateDict(hf, nLayers: 1);
        course["tok_emb.weight"].add_(1);
        course["trf_blocks.0.att.W_query.weight"].add_(1);

        Same(hf["wte.weight"], before).Should().BeTrue();
        Same(course["out_head.weight"], before).Should().BeTrue();
    }

    [Fact]
    public void ToCourseStateDict_Throws_NamingAMissingKeyAndItsShape()
    {
        var hf = RandomHf(vocab: 5, context: 3, emb: 4, layers: 2);
        hf.Remove("h.1.mlp.c_fc.bias");

        var act = () => HfGpt2.ToCourseStateDict(hf, nLayers: 2);

        act.Should().Throw<WeightsMismatchException>().WithMessage("*missing 'h.1.mlp.c_fc.bias': expected [16]*");
    }

    [Fact]
    public void ToCourseStateDict_Throws_SayingHowManyLayersTheWeightsHave()
    {
        var hf = RandomHf(vocab: 5, context: 3, emb: 4, layers: 3);

        var act = () => HfGpt2.ToCourseStateDict(hf, nLayers: 2);

        act.Should().Throw<WeightsMismatchException>().WithMessage("*It has 3 layers; the model has 2.*unexpected 'h.2.ln_1.weight' [4]*");
    }

    [Fact]
    public void ToCourseStateDict_Throws_NamingBothShapes_WhenAShapeIsInconsistent()
    {
        var hf = RandomHf(vocab: 5, context: 3, emb: 4, layers: 1);
        hf["h.0.attn.c_attn.weight"] = randn(12, 4); // Linear orientation by mistake

        var act = () => HfGpt2.ToCourseStateDict(hf, nLayers: 1);

        act.Should().Throw<WeightsMismatchException>().WithMessage("*shape of 'h.0.attn.c_attn.weight': expected [4, 12]*has [12, 4]*");
    }

    [Fact]
    public void FromCourseStateDict_IsTheInverseOfToCourseStateDict()
    {
        var hf = RandomHf(vocab: 9, context: 6, emb: 8, layers: 2, maskBuffers: false);

        var back = HfGpt2.FromCourseStateDict(HfGpt2.ToCourseStateDict(hf, 2), 2);

        back.Keys.Should().BeEquivalentTo(hf.Keys);
        foreach (var (key, t) in hf) Same(back[key], t).Should().BeTrue(key);
    }

    [Fact]
    public void Export_ThenLoadInto_RestoresEveryTensor_InHuggingFaceLayout()
    {
        using var source = Model(vocab: 13, context: 6, emb: 8, layers: 2);
        TieHead(source);
        using var target = Model(vocab: 13, context: 6, emb: 8, layers: 2);
        var path = PathOf("export.safetensors");

        HfGpt2.Export(source, path);
        HfGpt2.LoadInto(target, path);

        using (var file = SafeTensorsFile.Open(path))
        {
            file.Metadata.Should().Equal(new Dictionary<string, string> { ["format"] = "pt" });
            file.Tensors.Select(t => t.Name).Should().Contain(["wte.weight", "h.1.attn.c_attn.weight", "ln_f.bias"]).And.NotContain("lm_head.weight");
            file["h.0.attn.c_attn.weight"].Shape.Should().Equal(8L, 24L);
            file["h.0.mlp.c_proj.weight"].Shape.Should().Equal(32L, 8L);
            file.Tensors.Should().HaveCount(2 + 2 * 12 + 2);
        }
        var expected = source.state_dict();
        var actual = target.state_dict();
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (key, t) in expected) Same(actual[key], t).Should().BeTrue(key);
        source.eval();
        target.eval();
        using var ids = tensor(new long[,] { { 1, 5, 12, 0, 3, 7 }, { 2, 2, 9, 11, 4, 6 } });
        Tensors.Identical(target.call(ids), source.call(ids)).Should().BeTrue("the reloaded model computes what the exported one does");
    }

    [Fact]
    public void Export_Throws_WhenTheOutputHeadIsUntied_UnlessAskedToWriteIt()
    {
        using var source = Model(vocab: 13, context: 6, emb: 8, layers: 1);
        using var target = Model(vocab: 13, context: 6, emb: 8, layers: 1);
        var path = PathOf("untied.safetensors");

        var act = () => HfGpt2.Export(source, path);
        act.Should().Throw<ArgumentException>().WithParameterName("includeLmHead").WithMessage("*out_head.weight differs from tok_emb.weight*");
        File.Exists(path).Should().BeFalse();

        HfGpt2.Export(source, path, includeLmHead: true);
        HfGpt2.LoadInto(target, path);
        Same(target.state_dict()["out_head.weight"], source.state_dict()["out_head.weight"]).Should().BeTrue();
    }

    [Fact]
    public void Export_WritesZeroQkvBiases_ForAModelBuiltWithoutThem()
    {
        using var source = Model(vocab: 5, context: 4, emb: 4, layers: 1, qkvBias: false);
        TieHead(source);
        var path = PathOf("nobias.safetensors");

        HfGpt2.Export(source, path);

        using var file = SafeTensorsFile.Open(path);
        using var bias = file.ReadTensor("h.0.attn.c_attn.bias");
        Floats(bias).Should().Equal(new float[12]);
    }

    [Fact]
    public void LoadInto_Throws_ExplainingQkvBias_WhenTheModelHasNoQkvBiases()
    {
        using var target = Model(vocab: 5, context: 4, emb: 4, layers: 1, qkvBias: false);
        var path = PathOf("gpt2.safetensors");
        SafeTensorsFile.Save(path, RandomHf(vocab: 5, context: 4, emb: 4, layers: 1));

        var act = () => HfGpt2.LoadInto(target, path);

        act.Should().Throw<WeightsMismatchException>().WithMessage("*extra 'trf_blocks.0.att.W_query.bias'*QkvBias = true*");
    }

    [Fact]
    public void LoadInto_Throws_NamingKeyAndBothShapes_AndLoadsNothing()
    {
        using var target = Model(vocab: 5, context: 4, emb: 4, layers: 1);
        using var before = target.state_dict()["final_norm.shift"].clone();
        var path = PathOf("bigger-vocab.safetensors");
        SafeTensorsFile.Save(path, RandomHf(vocab: 6, context: 4, emb: 4, layers: 1));

        var act = () => HfGpt2.LoadInto(target, path);

        act.Should().Throw<WeightsMismatchException>()
            .WithMessage($"*shape of 'tok_emb.weight': model [5, 4], {path} [6, 4]*shape of 'out_head.weight': model [5, 4], {path} [6, 4]*");
        Same(target.state_dict()["final_norm.shift"], before).Should().BeTrue("a failed load copies nothing");
    }

    [Fact]
    public void LoadInto_Throws_WhenTheFileHasFewerLayersThanTheModel()
    {
        using var target = Model(vocab: 5, context: 4, emb: 4, layers: 3);
        var path = PathOf("two-layers.safetensors");
        SafeTensorsFile.Save(path, RandomHf(vocab: 5, context: 4, emb: 4, layers: 2));

        var act = () => HfGpt2.LoadInto(target, path);

        act.Should().Throw<WeightsMismatchException>().WithMessage("*It has 2 layers; the model has 3.*missing 'h.2.ln_1.weight'*");
    }

    private static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();

    /// <summary>A small real GptModel (no dropout) with the book's state-dict keys.</summary>
    private static GptModel Model(int vocab, int context, int emb, int layers, bool qkvBias = true) =>
        new(new GptConfig(vocab, context, emb, nHeads: 2, layers, dropRate: 0.0, qkvBias));

    private static void TieHead(GptModel model)
    {
        var sd = model.state_dict();
        using var _ = no_grad();
        sd["out_head.weight"].copy_(sd["tok_emb.weight"]);
    }
}
