using System.Security.Cryptography;
using LlmFromScratch.Data;
using LlmFromScratch.Tests.Support;

namespace LlmFromScratch.Tests.Data;

[Trait("Category", "Reliability")]
public sealed class DataSetsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("datasets-tests-").FullName;
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(5000);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // An absolute File puts the entry outside the real cache (Path.Combine keeps an absolute second part).
    private DataSetInfo Info(string url) =>
        new("test-set", Path.Combine(_folder, "test.bin"), "test data", [url], _content.Length, Convert.ToHexStringLower(SHA256.HashData(_content)));

    [Fact]
    public void Ensure_NeedsNoNetwork_ForAVerifiedCachedFile()
    {
        var info = Info(LoopbackServer.ClosedPortUrl());
        File.WriteAllBytes(info.File, _content);

        var path = DataSets.Ensure(info);

        path.Should().Be(info.File);
    }

    [Fact]
    public void Ensure_MovesAWrongCachedFileAside_AndDownloadsTheRightOne()
    {
        using var server = new LoopbackServer((r, _) => LoopbackServer.Serve(_content, r));
        var info = Info(server.Url());
        File.WriteAllText(info.File, "damaged");

        var path = DataSets.Ensure(info);

        File.ReadAllBytes(path).Should().Equal(_content);
        Directory.GetFiles(_folder, "test.bin.bad-*").Should().ContainSingle()
            .Which.Should().Match(f => File.ReadAllText(f) == "damaged");
    }

    [Fact]
    public void Ensure_Throws_NamingTheFileAndWhereToPutIt_WhenOffline()
    {
        var info = Info(LoopbackServer.ClosedPortUrl());

        var act = () => DataSets.Ensure(info);

        act.Should().Throw<DataSetUnavailableException>().WithMessage($"*test.bin*copy it to {info.File}*sha256*");
        File.Exists(info.File).Should().BeFalse();
    }
}
