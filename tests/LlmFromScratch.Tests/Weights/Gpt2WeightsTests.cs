using System.Security.Cryptography;
using LlmFromScratch.Data;
using LlmFromScratch.Model;
using LlmFromScratch.Tests.Support;
using LlmFromScratch.Weights;
using LlmFromScratch.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;
using Response = LlmFromScratch.Tests.Support.LoopbackServer.Response;

namespace LlmFromScratch.Tests.Weights;

[Trait("Category", "Reliability")]
public sealed class Gpt2WeightsTests : IDisposable
{
    private const int Vocab = 50257, Context = 32, Emb = 16, Layers = 2;
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt2weights-tests-").FullName;
    private readonly Dictionary<string, Tensor> _hf;
    private readonly byte[] _file;
    private readonly string _sha;

    public Gpt2WeightsTests()
    {
        torch.manual_seed(123);
        _hf = HfGpt2Tests.RandomHf(Vocab, Context, Emb, Layers);
        var stream = new MemoryStream();
        SafeTensorsFile.Save(stream, _hf, HfGpt2.ExportMetadata);
        _file = stream.ToArray();
        _sha = Convert.ToHexStringLower(SHA256.HashData(_file));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Gpt2Size Size(string url, string folder = "cache") =>
        Gpt2Sizes.Get("gpt2") with { Url = url, CachePath = Path.Combine(_folder, folder, "gpt2", "model.safetensors") };

    /// <summary>Like huggingface.co: /resolve redirects to a CDN and names the LFS object's sha256 and size on the way.</summary>
    private LoopbackServer HuggingFaceLike(string? advertisedSha = null, byte[]? body = null, int dropFirstAfter = 0) =>
        new((r, i) => r.Path == "/resolve"
            ? new Response(302, [], new Dictionary<string, string>
            {
                ["Location"] = "/cdn/model.safetensors",
                ["X-Linked-ETag"] = $"\"{advertisedSha ?? _sha}\"",
                ["X-Linked-Size"] = (body ?? _file).Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            })
            : LoopbackServer.Serve(body ?? _file, r) with { SendOnly = i == 1 && dropFirstAfter > 0 ? dropFirstAfter : null });

    [Fact]
    public void Download_ThenMap_GivesTheServedTensors_InTheBooksLayout()
    {
        using var server = HuggingFaceLike(dropFirstAfter: 1_000_000);
        var reports = new List<DownloadProgress>();

        var path = Gpt2Weights.Download(Size(server.Url("/resolve")), new SynchronousProgress(reports.Add));

        FileHash.Compute(path).Should().Be(((long)_file.Length, _sha));
        File.ReadAllText(path + ".sha256").Should().Be($"{_sha}  model.safetensors\n");
        server.Requests.Where(r => r.Path != "/resolve").Select(r => r.RangeStart).Should().Equal(null, 1_000_000L);
        reports.Should().NotBeEmpty().And.OnlyContain(p => p.File == "gpt2/model.safetensors");
        Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName).Should().BeEquivalentTo("model.safetensors", "model.safetensors.sha256");

        using var file = SafeTensorsFile.Open(path);
        var course = HfGpt2.ToCourseStateDict(file.ReadAll(), Layers);
        for (var i = 0; i < Layers; i++)
        {
            var fused = _hf[$"h.{i}.attn.c_attn.weight"];
            Same(course[$"trf_blocks.{i}.att.W_query.weight"], fused[.., ..Emb].t()).Should().BeTrue();
            Same(course[$"trf_blocks.{i}.att.W_key.weight"], fused[.., Emb..(2 * Emb)].t()).Should().BeTrue();
            Same(course[$"trf_blocks.{i}.att.W_value.weight"], fused[.., (2 * Emb)..].t()).Should().BeTrue();
            Same(course[$"trf_blocks.{i}.ff.layers.2.weight"], _hf[$"h.{i}.mlp.c_proj.weight"].t()).Should().BeTrue();
        }
        Same(course["out_head.weight"], _hf["wte.weight"]).Should().BeTrue();

        using var model = new GptModel(new GptConfig(Vocab, Context, Emb, nHeads: 2, Layers, dropRate: 0.0, qkvBias: true));
        HfGpt2.LoadInto(model, path);
        var loaded = model.state_dict();
        foreach (var (key, t) in course) Same(loaded[key], t).Should().BeTrue(key);
    }

    [Fact]
    public void Download_UsesACachedFileWithItsRecord_WithoutTheNetwork()
    {
        var size = Size(LoopbackServer.ClosedPortUrl(), "seeded");
        Directory.CreateDirectory(Path.GetDirectoryName(size.CachePath)!);
        File.WriteAllBytes(size.CachePath, _file);
        File.WriteAllText(size.CachePath + ".sha256", $"{_sha}  model.safetensors\n");

        Gpt2Weights.Download(size).Should().Be(size.CachePath);
    }

    [Fact]
    public void Download_AcceptsAFileCopiedInByHand_AndRecordsItsHash()
    {
        var size = Size(LoopbackServer.ClosedPortUrl(), "by-hand");
        Directory.CreateDirectory(Path.GetDirectoryName(size.CachePath)!);
        File.WriteAllBytes(size.CachePath, _file);

        Gpt2Weights.Download(size).Should().Be(size.CachePath);

        File.ReadAllText(size.CachePath + ".sha256").Should().StartWith(_sha);
    }

    [Fact]
    public void Download_ReplacesACachedFileThatNoLongerMatchesItsRecord()
    {
        using var server = HuggingFaceLike();
        var size = Size(server.Url("/resolve"), "damaged");
        Directory.CreateDirectory(Path.GetDirectoryName(size.CachePath)!);
        var damaged = (byte[])_file.Clone();
        damaged[^1] ^= 0xFF;
        File.WriteAllBytes(size.CachePath, damaged);
        File.WriteAllText(size.CachePath + ".sha256", $"{_sha}  model.safetensors\n");

        var path = Gpt2Weights.Download(size);

        FileHash.Compute(path).Sha256.Should().Be(_sha);
        Directory.GetFiles(Path.GetDirectoryName(path)!, "model.safetensors.bad-*").Should().ContainSingle();
    }

    [Fact]
    public void Download_Fails_WhenTheBytesDifferFromTheAdvertisedHash_LeavingNothingUnderTheName()
    {
        using var server = HuggingFaceLike(advertisedSha: new string('a', 64));
        var size = Size(server.Url("/resolve"), "wrong-hash");

        var act = () => Gpt2Weights.Download(size);

        act.Should().Throw<DataSetUnavailableException>().WithMessage($"*expected {new string('a', 64)} (as the server advertised)*");
        File.Exists(size.CachePath).Should().BeFalse();
    }

    [Fact]
    public void Download_Rejects_AServedFileThatIsNotSafetensors_LeavingNothingUnderTheName()
    {
        var html = "<html>rate limited</html>"u8.ToArray();
        using var server = HuggingFaceLike(advertisedSha: Convert.ToHexStringLower(SHA256.HashData(html)), body: html);
        var size = Size(server.Url("/resolve"), "html");

        var act = () => Gpt2Weights.Download(size);

        act.Should().Throw<InvalidWeightsFileException>();
        Directory.GetFiles(Path.GetDirectoryName(size.CachePath)!).Should().BeEmpty();
    }

    /// <summary>A random tiny GPT-2-shaped model (QkvBias on, head tied to the embedding as in GPT-2) written in Hugging Face's layout.</summary>
    private (GptModel Model, byte[] File, string Sha) ExportedGptModel()
    {
        torch.manual_seed(7);
        var model = new GptModel(GptConfig.Tiny with { QkvBias = true });
        using (no_grad()) model.state_dict()["out_head.weight"].copy_(model.state_dict()["tok_emb.weight"]);
        var path = Path.Combine(_folder, $"exported-{Guid.NewGuid():N}.safetensors");
        HfGpt2.Export(model, path);
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return (model, bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>Loads a downloaded file into a fresh GptModel and runs both models on the same ids, in eval mode.</summary>
    private static (Tensor Expected, Tensor Actual) Logits(GptModel source, string downloaded)
    {
        using var target = new GptModel(source.Config);
        HfGpt2.LoadInto(target, downloaded);
        source.eval();
        target.eval();
        torch.manual_seed(8);
        using var ids = randint(0, source.Config.VocabSize, [2, source.Config.ContextLength]);
        using var _ = no_grad();
        return (source.call(ids), target.call(ids));
    }

    [Fact]
    public void Download_OfAnExportedGptModel_GivesAFreshGptModelIdenticalLogits()
    {
        var (source, bytes, sha) = ExportedGptModel();
        using var owned = source;
        using var server = HuggingFaceLike(advertisedSha: sha, body: bytes, dropFirstAfter: bytes.Length / 3);
        var size = Size(server.Url("/resolve"), "gpt-model");

        var path = Gpt2Weights.Download(size);

        path.Should().Be(Path.GetFullPath(size.CachePath));
        FileHash.Compute(path).Should().Be(((long)bytes.Length, sha), "size and sha256 are the ones Hugging Face advertises");
        server.Requests.Where(r => r.Path != "/resolve").Select(r => r.RangeStart).Should().Equal(null, (long)(bytes.Length / 3));
        var (expected, actual) = Logits(source, path);
        Tensors.Identical(actual, expected).Should().BeTrue("the downloaded weights compute exactly what the exported model computes");
    }

    [Fact]
    public void Download_ThatKeepsBeingCutOff_Fails_WithNothingUnderTheFinalName_ThenResumesToTheSameLogits()
    {
        var (source, bytes, sha) = ExportedGptModel();
        using var owned = source;
        const int perConnection = 200_000;
        using var flaky = new LoopbackServer((r, _) => r.Path == "/resolve"
            ? new Response(302, [], new Dictionary<string, string>
            {
                ["Location"] = "/cdn/model.safetensors",
                ["X-Linked-ETag"] = $"\"{sha}\"",
                ["X-Linked-Size"] = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            })
            : LoopbackServer.Serve(bytes, r) with { SendOnly = perConnection });
        var size = Size(flaky.Url("/resolve"), "cut-off");

        var act = () => Gpt2Weights.Download(size);

        act.Should().Throw<DataSetUnavailableException>().WithMessage("*connection closed after*")
            .WithMessage($"*copy it to {Path.GetFullPath(size.CachePath)}*").Which.Message.Should().NotContain(".unchecked");
        File.Exists(size.CachePath).Should().BeFalse("a truncated download never sits under the final name");
        var partial = Directory.GetFiles(Path.GetDirectoryName(size.CachePath)!).Should().ContainSingle().Subject;
        partial.Should().EndWith(".part");
        new FileInfo(partial).Length.Should().Be(Downloader.AttemptsPerUrl * perConnection);

        using var healthy = HuggingFaceLike(advertisedSha: sha, body: bytes);
        var path = Gpt2Weights.Download(size with { Url = healthy.Url("/resolve") });

        healthy.Requests.Where(r => r.Path != "/resolve").Select(r => r.RangeStart)
            .Should().Equal([(long)(Downloader.AttemptsPerUrl * perConnection)], "the second call resumes the partial file");
        FileHash.Compute(path).Should().Be(((long)bytes.Length, sha));
        var (expected, actual) = Logits(source, path);
        Tensors.Identical(actual, expected).Should().BeTrue();
    }

    [Fact]
    public void Download_OfAnExportedGptModel_WithTheWrongHash_LeavesNoFileBehind()
    {
        var (source, bytes, _) = ExportedGptModel();
        using var owned = source;
        var wrong = new string('b', 64);
        using var server = HuggingFaceLike(advertisedSha: wrong, body: bytes);
        var size = Size(server.Url("/resolve"), "gpt-model-wrong-hash");

        var act = () => Gpt2Weights.Download(size);

        act.Should().Throw<DataSetUnavailableException>().WithMessage($"*expected {wrong} (as the server advertised)*");
        Directory.GetFiles(Path.GetDirectoryName(size.CachePath)!).Should().BeEmpty("bytes that fail their checksum are deleted, not kept or renamed");
    }

    private static bool Same(Tensor a, Tensor b) => HfGpt2Tests.Same(a, b);

    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
