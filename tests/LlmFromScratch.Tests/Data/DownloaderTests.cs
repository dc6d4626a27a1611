using System.Security.Cryptography;
using LlmFromScratch.Data;
using LlmFromScratch.Tests.Support;
using Response = LlmFromScratch.Tests.Support.LoopbackServer.Response;

namespace LlmFromScratch.Tests.Data;

[Trait("Category", "Reliability")]
public sealed class DownloaderTests : IDisposable
{
    private const int Size = 300_000;
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(Size);
    private readonly string _sha;
    private readonly string _folder = Directory.CreateTempSubdirectory("downloader-tests-").FullName;
    private readonly string _destination;

    public DownloaderTests()
    {
        _sha = Convert.ToHexStringLower(SHA256.HashData(_content));
        _destination = Path.Combine(_folder, "sub", "file.bin");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Part => _destination + ".part";

    [Fact]
    public void Download_WritesTheVerifiedFile_AndLeavesNoPart()
    {
        using var server = new LoopbackServer((r, _) => LoopbackServer.Serve(_content, r));

        var result = Downloader.Download([server.Url()], _destination, Size, _sha);

        result.Should().Be(((long)Size, _sha));
        File.ReadAllBytes(_destination).Should().Equal(_content);
        File.Exists(Part).Should().BeFalse();
    }

    [Fact]
    public void Download_ResumesWithARange_WhenTheConnectionDropsMidFile()
    {
        using var server = new LoopbackServer((r, i) => i == 0
            ? new Response(200, _content, SendOnly: 100_000)
            : LoopbackServer.Serve(_content, r));

        Downloader.Download([server.Url()], _destination, Size, _sha);

        File.ReadAllBytes(_destination).Should().Equal(_content);
        server.Requests.Select(r => r.RangeStart).Should().Equal(null, 100_000L);
    }

    [Fact]
    public void Download_Finishes_WhenEveryTryDropsAfterSomeProgress()
    {
        using var server = new LoopbackServer((r, _) =>
        {
            var full = LoopbackServer.Serve(_content, r);
            return full with { SendOnly = 100_000 }; // each try moves the .part forward by 100 kB
        });

        Downloader.Download([server.Url()], _destination, Size, _sha);

        File.ReadAllBytes(_destination).Should().Equal(_content);
        server.Requests.Select(r => r.RangeStart).Should().Equal(null, 100_000L, 200_000L);
    }

    [Fact]
    public void Download_RestartsFromByteZero_WhenTheServerIgnoresTheRange()
    {
        using var server = new LoopbackServer((_, i) => i == 0
            ? new Response(200, _content, SendOnly: 100_000)
            : new Response(200, _content));

        Downloader.Download([server.Url()], _destination, Size, _sha);

        File.ReadAllBytes(_destination).Should().Equal(_content);
        server.Requests[1].RangeStart.Should().Be(100_000);
    }

    [Fact]
    public void Download_RestartsFromByteZero_WhenTheServerAnswersAnotherRange()
    {
        using var server = new LoopbackServer((r, i) => i switch
        {
            0 => new Response(200, _content, SendOnly: 100_000),
            1 => new Response(206, _content[50_000..], new Dictionary<string, string> { ["Content-Range"] = $"bytes 50000-{Size - 1}/{Size}" }),
            _ => LoopbackServer.Serve(_content, r),
        });

        Downloader.Download([server.Url()], _destination, Size, _sha);

        File.ReadAllBytes(_destination).Should().Equal(_content);
        server.Requests.Select(r => r.RangeStart).Should().Equal(null, 100_000L, null);
    }

    [Fact]
    public void Download_KeepsOnlyThePart_WhenEveryTryDrops()
    {
        using var server = new LoopbackServer((_, _) => new Response(200, _content, SendOnly: 1000));

        var act = () => Downloader.Download([server.Url()], _destination, Size, _sha);

        act.Should().Throw<DataSetUnavailableException>().WithMessage($"*file.bin*connection closed after 1000 of {Size} bytes*");
        File.Exists(_destination).Should().BeFalse();
        new FileInfo(Part).Length.Should().Be(1000);
        server.Requests.Should().HaveCount(Downloader.AttemptsPerUrl);
    }

    [Fact]
    public void Download_RejectsAWrongHash_AndNeverTouchesTheFinalName()
    {
        File.WriteAllText(Directory.CreateDirectory(Path.GetDirectoryName(_destination)!).FullName + "/file.bin", "older file");
        var tampered = (byte[])_content.Clone();
        tampered[12345] ^= 0xFF;
        using var server = new LoopbackServer((r, _) => LoopbackServer.Serve(tampered, r));

        var act = () => Downloader.Download([server.Url()], _destination, Size, _sha);

        act.Should().Throw<DataSetUnavailableException>().WithMessage($"*sha256 *expected {_sha}*");
        File.ReadAllText(_destination).Should().Be("older file");
        File.Exists(Part).Should().BeFalse();
    }

    [Fact]
    public void Download_RejectsAServerThatAnnouncesAnotherLength_BeforeReadingTheBody()
    {
        using var server = new LoopbackServer((_, _) => new Response(200, _content[..1000]));

        var act = () => Downloader.Download([server.Url()], _destination, Size, _sha);

        act.Should().Throw<DataSetUnavailableException>().WithMessage($"*announces 1000 bytes, expected {Size}*");
        File.Exists(_destination).Should().BeFalse();
        File.Exists(Part).Should().BeFalse();
    }

    [Fact]
    public void Download_RejectsAShortBody_WhenOnlyTheHashIsKnown()
    {
        using var server = new LoopbackServer((_, _) => new Response(200, _content[..1000]));

        var act = () => Downloader.Download([server.Url()], _destination, null, _sha);

        act.Should().Throw<DataSetUnavailableException>().WithMessage("*sha256*");
        File.Exists(_destination).Should().BeFalse();
    }

    [Fact]
    public void Download_DoesNotRetryA404_AndNamesTheStatus()
    {
        using var server = new LoopbackServer((_, _) => new Response(404, "no"u8.ToArray()));

        var act = () => Downloader.Download([server.Url()], _destination, Size, _sha);

        act.Should().Throw<DataSetUnavailableException>().WithMessage("*HTTP 404*copy it to*file.bin*");
        server.Requests.Should().HaveCount(1);
        File.Exists(_destination).Should().BeFalse();
    }

    [Fact]
    public void Download_RetriesAfterA500_AndSucceeds()
    {
        using var server = new LoopbackServer((r, i) => i == 0 ? new Response(500, []) : LoopbackServer.Serve(_content, r));

        Downloader.Download([server.Url()], _destination, Size, _sha);

        File.ReadAllBytes(_destination).Should().Equal(_content);
        server.Requests.Should().HaveCount(2);
    }

    [Fact]
    public void Download_FallsBackToTheNextUrl()
    {
        using var server = new LoopbackServer((r, _) => LoopbackServer.Serve(_content, r));

        Downloader.Download([LoopbackServer.ClosedPortUrl(), server.Url()], _destination, Size, _sha);

        File.ReadAllBytes(_destination).Should().Equal(_content);
    }

    [Fact(Timeout = 30_000)]
    public async Task DownloadAsync_EndsPromptly_WhenCancelledWhileTheServerStalls()
    {
        using var server = new LoopbackServer((_, _) => new Response(200, _content, SendOnly: 1000, StallAfterSending: true));
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress(_ => cancel.Cancel()); // as soon as the first bytes arrive

        var act = () => Downloader.DownloadAsync([server.Url()], _destination, Size, _sha, progress, cancel.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        File.Exists(_destination).Should().BeFalse();
        File.Exists(Part).Should().BeTrue("a cancelled download keeps its .part for a resume");
    }

    [Fact(Timeout = 30_000)]
    public async Task DownloadAsync_GivesUp_WhenTheServerStaysSilent()
    {
        var saved = Downloader.StallTimeout;
        Downloader.StallTimeout = TimeSpan.FromMilliseconds(200);
        try
        {
            using var server = new LoopbackServer((_, _) => new Response(200, _content, SendOnly: 0, StallAfterSending: true));

            var act = () => Downloader.DownloadAsync([server.Url()], _destination, Size, _sha);

            await act.Should().ThrowAsync<DataSetUnavailableException>().WithMessage("*sent nothing for 0.2 s*");
            server.Requests.Should().HaveCount(Downloader.AttemptsPerUrl);
            File.Exists(_destination).Should().BeFalse();
        }
        finally
        {
            Downloader.StallTimeout = saved;
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task DownloadAsync_GivesUp_WhenTheServerNeverAnswers()
    {
        var saved = Downloader.StallTimeout;
        Downloader.StallTimeout = TimeSpan.FromMilliseconds(200);
        try
        {
            using var server = new LoopbackServer((_, _) => new Response(0, []));

            var act = () => Downloader.DownloadAsync([server.Url()], _destination, Size, _sha);

            await act.Should().ThrowAsync<DataSetUnavailableException>().WithMessage("*sent nothing for 0.2 s*");
            File.Exists(_destination).Should().BeFalse();
        }
        finally
        {
            Downloader.StallTimeout = saved;
        }
    }

    [Fact]
    public void Download_UsesACompletePart_WithoutTheNetwork()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_destination)!);
        File.WriteAllBytes(Part, _content);

        Downloader.Download([LoopbackServer.ClosedPortUrl()], _destination, Size, _sha);

        File.ReadAllBytes(_destination).Should().Equal(_content);
    }

    [Fact]
    public void Download_ChecksTheSha256AdvertisedBehindARedirect()
    {
        using var server = RedirectingServer(advertisedSha: _sha);

        var result = Downloader.Download([server.Url("/resolve")], _destination, null, null, useServerChecksums: true);

        result.Sha256.Should().Be(_sha);
        server.Requests.Select(r => r.Path).Should().Equal("/resolve", "/cdn");
    }

    [Fact]
    public void Download_RejectsBytesThatDifferFromTheAdvertisedSha256()
    {
        var wrong = new string('0', 64);
        using var server = RedirectingServer(advertisedSha: wrong);

        var act = () => Downloader.Download([server.Url("/resolve")], _destination, null, null, useServerChecksums: true);

        act.Should().Throw<DataSetUnavailableException>().WithMessage($"*expected {wrong} (as the server advertised)*");
        File.Exists(_destination).Should().BeFalse();
    }

    [Fact]
    public void Download_TakesAnETagThatIsASha256_FromTheUrlItself()
    {
        var headers = new Dictionary<string, string> { ["ETag"] = $"\"{_sha}\"" };
        using var good = new LoopbackServer((r, _) => LoopbackServer.Serve(_content, r, headers));
        var tampered = (byte[])_content.Clone();
        tampered[0] ^= 1;
        using var bad = new LoopbackServer((r, _) => LoopbackServer.Serve(tampered, r, headers));

        Downloader.Download([good.Url()], _destination, null, null, useServerChecksums: true).Sha256.Should().Be(_sha);
        var act = () => Downloader.Download([bad.Url()], _destination + "2", null, null, useServerChecksums: true);
        act.Should().Throw<DataSetUnavailableException>().WithMessage($"*expected {_sha} (as the server advertised)*");
    }

    [Fact]
    public void Download_DoesNotTakeACdnsETagBehindARedirect_ForTheSha256()
    {
        var cdnTag = new Dictionary<string, string> { ["ETag"] = $"\"{new string('b', 64)}\"" };
        using var server = new LoopbackServer((r, _) => r.Path == "/resolve"
            ? new Response(302, [], new Dictionary<string, string> { ["Location"] = "/cdn" })
            : LoopbackServer.Serve(_content, r, cdnTag));

        var result = Downloader.Download([server.Url("/resolve")], _destination, null, null, useServerChecksums: true);

        result.Sha256.Should().Be(_sha);
    }

    [Fact]
    public void Download_IgnoresAdvertisedChecksums_UnlessAskedTo()
    {
        using var server = RedirectingServer(advertisedSha: new string('0', 64));

        var result = Downloader.Download([server.Url("/resolve")], _destination, null, null);

        result.Sha256.Should().Be(_sha);
    }

    [Fact]
    public void Download_Rejects_AMalformedExpectedHash()
    {
        var act = () => Downloader.Download(["http://127.0.0.1:1/x"], _destination, null, "abc");

        act.Should().Throw<ArgumentException>().WithParameterName("expectedSha256").WithMessage("*'abc'*64 hex*");
    }

    [Fact]
    public void Download_ReportsAUrlThatIsNotHttp()
    {
        var act = () => Downloader.Download(["ftp://example.org/x"], _destination, null, null);

        act.Should().Throw<DataSetUnavailableException>().WithMessage("*ftp://example.org/x: not an absolute http(s) URL*");
    }

    private LoopbackServer RedirectingServer(string advertisedSha) => new((r, _) => r.Path == "/resolve"
        ? new Response(302, [], new Dictionary<string, string>
        {
            ["Location"] = "/cdn",
            ["X-Linked-ETag"] = $"\"{advertisedSha}\"",
            ["X-Linked-Size"] = Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        : LoopbackServer.Serve(_content, r));

    /// <summary>Reports on the downloader's own thread (Progress&lt;T&gt; would post to the thread pool, too late to test).</summary>
    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
