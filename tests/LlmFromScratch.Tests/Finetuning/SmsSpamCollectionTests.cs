using System.IO.Compression;
using System.Text;
using LlmFromScratch.Data;
using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class SmsSpamCollectionTests
{
    [Fact]
    public void Parse_ReadsLabelAndText_PerLine()
    {
        var rows = SmsSpamCollection.Parse("ham\tGo until jurong point\nspam\tFree entry in 2 a wkly comp\n");

        rows.Should().Equal(new LabeledText("Go until jurong point", 0), new LabeledText("Free entry in 2 a wkly comp", 1));
    }

    [Fact]
    public void Parse_LetsAQuotedFieldSwallowLinesUntilItsClosingQuote_LikePandas()
    {
        // The real file's case: a message starting with a quote runs over the next two lines.
        var file = "ham\tfirst\n" +
                   "ham\t\"Wen ur lovable bcums angry\n" +
                   "ham\tsecond line\n" +
                   "spam\tthird line ends the quote\" and more\n" +
                   "ham\tlast\n";

        var rows = SmsSpamCollection.Parse(file);

        rows.Should().HaveCount(3);
        rows[1].Should().Be(new LabeledText("Wen ur lovable bcums angry\nham\tsecond line\nspam\tthird line ends the quote and more", 0));
        rows[2].Should().Be(new LabeledText("last", 0));
    }

    [Fact]
    public void Parse_UnescapesDoubledQuotes_InsideAQuotedField()
    {
        var rows = SmsSpamCollection.Parse("ham\t\"He said \"\"hi\"\" to me\"\n");

        rows.Single().Text.Should().Be("He said \"hi\" to me");
    }

    [Fact]
    public void Parse_KeepsAQuoteInsideAnUnquotedField_Literally()
    {
        var rows = SmsSpamCollection.Parse("ham\tI said \"yes\" ok\n");

        rows.Single().Text.Should().Be("I said \"yes\" ok");
    }

    [Theory]
    [InlineData("ham\tone\r\nspam\ttwo\r\n")]
    [InlineData("ham\tone\nspam\ttwo\n")]
    [InlineData("ham\tone\nspam\ttwo")]
    [InlineData("ham\tone\rspam\ttwo\r")]
    [InlineData("ham\tone\n\n   \nspam\ttwo\n\n")]
    [InlineData("\uFEFFham\tone\nspam\ttwo\n")]
    public void Parse_GivesTheSameRows_ForAnyLineEndingTrailingNewlineOrBlankLines(string file)
    {
        var rows = SmsSpamCollection.Parse(file);

        rows.Should().Equal(new LabeledText("one", 0), new LabeledText("two", 1));
    }

    [Fact]
    public void Parse_KeepsCrLfInsideAQuotedField()
    {
        var rows = SmsSpamCollection.Parse("ham\t\"a\r\nb\"\r\nspam\tc\r\n");

        rows.Should().Equal(new LabeledText("a\r\nb", 0), new LabeledText("c", 1));
    }

    [Fact]
    public void Parse_Throws_NamingTheLine_WhenALabelIsMalformed()
    {
        var act = () => SmsSpamCollection.Parse("ham\tone\n\nHam\ttwo\n");

        act.Should().Throw<InvalidDataException>().WithMessage("line 3: label 'Ham' is neither 'ham' nor 'spam'");
    }

    [Fact]
    public void Parse_Throws_NamingTheLine_WhenARowHasNoTab()
    {
        var act = () => SmsSpamCollection.Parse("ham\tone\nspam two\n");

        act.Should().Throw<InvalidDataException>().WithMessage("line 2: expected 2 tab-separated fields*found 1");
    }

    [Fact]
    public void Parse_Throws_NamingTheLine_WhenARowHasThreeFields()
    {
        var act = () => SmsSpamCollection.Parse("ham\tone\tthree\n");

        act.Should().Throw<InvalidDataException>().WithMessage("line 1: expected 2 tab-separated fields*found 3");
    }

    [Fact]
    public void Parse_Throws_NamingTheLineWhereTheQuoteOpened_WhenItNeverCloses()
    {
        var act = () => SmsSpamCollection.Parse("ham\tone\nham\t\"open\nspam\tmore\n");

        act.Should().Throw<InvalidDataException>().WithMessage("line 2: a quoted field*never closed*");
    }

    [Fact]
    public void Parse_CountsLinesAcrossQuotedFields_InLaterErrors()
    {
        var act = () => SmsSpamCollection.Parse("ham\t\"a\nb\nc\"\nbad\tx\n");

        act.Should().Throw<InvalidDataException>().WithMessage("line 4: label 'bad'*");
    }

    [Fact]
    public void Read_ReproducesPandasCounts_OnAFileShapedLikeTheRealOne()
    {
        // 5574 lines like the real file: 4827 ham lines, 747 spam, one ham message opening a quote that
        // swallows the next two ham lines, so pandas (and this parser) see 5572 rows: 4825 ham, 747 spam.
        using var temp = new TempFolder();
        var lines = Enumerable.Range(0, 5574)
            .Select(i => i < 747 * 7 && i % 7 == 3 ? $"spam\tWin {i}" : $"ham\tmessage {i}")
            .ToList();
        lines[5300] = "ham\t\"Quoted start";
        lines[5302] += " closing quote\" tail";
        var path = temp.File("SMSSpamCollection.tsv");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");

        var rows = SmsSpamCollection.Read(path);

        File.ReadAllLines(path).Should().HaveCount(5574);
        rows.Should().HaveCount(5572);
        rows.Count(r => r.Label == SpamLabel.Ham).Should().Be(4825);
        rows.Count(r => r.Label == SpamLabel.Spam).Should().Be(747);
    }

    [Fact]
    public void Read_Throws_NamingTheFile_WhenItIsNotUtf8()
    {
        using var temp = new TempFolder();
        var path = temp.File("bad.tsv");
        File.WriteAllBytes(path, [.. "ham\tcaf"u8, 0xE9, (byte)'\n']);

        var act = () => SmsSpamCollection.Read(path);

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: not valid UTF-8*");
    }

    [Fact]
    public void Ensure_DownloadsTheZip_AndExtractsTheMemberAsTsv()
    {
        using var temp = new TempFolder();
        var content = "ham\thello\nspam\tWIN now\n";
        var zip = MakeZip(("sms_spam_collection/readme", "read me"), ("SMSSpamCollection", content));
        using var server = new LoopbackServer(_ => new LoopbackServer.Response(200, "application/zip", zip));

        var path = SmsSpamCollection.Ensure(cacheDirectory: temp.Path, urls: [$"{server.BaseUrl}/sms+spam+collection.zip"]);

        path.Should().Be(Path.Combine(temp.Path, "sms_spam_collection", "SMSSpamCollection.tsv"));
        File.ReadAllText(path).Should().Be(content);
        SmsSpamCollection.Read(path).Should().HaveCount(2);
    }

    [Fact]
    public void Ensure_UsesTheCachedFile_WithoutDownloading()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, SmsSpamCollection.RelativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "ham\tcached\n");

        var result = SmsSpamCollection.Ensure(cacheDirectory: temp.Path, urls: [$"http://127.0.0.1:{LoopbackServer.ClosedPort()}/x.zip"]);

        result.Should().Be(path);
    }

    [Fact]
    public void Ensure_Throws_TheDownloadersClearError_WhenOffline()
    {
        using var temp = new TempFolder();
        var url = $"http://127.0.0.1:{LoopbackServer.ClosedPort()}/sms+spam+collection.zip";

        var act = () => SmsSpamCollection.Ensure(cacheDirectory: temp.Path, urls: [url]);

        act.Should().Throw<DataSetUnavailableException>().WithMessage($"Could not download sms_spam_collection.zip*{url}*");
    }

    [Fact]
    public void Ensure_Throws_ListingTheMembers_WhenTheZipLacksTheDataFile()
    {
        using var temp = new TempFolder();
        var zip = MakeZip(("readme", "nothing else"));
        using var server = new LoopbackServer(_ => new LoopbackServer.Response(200, "application/zip", zip));

        var act = () => SmsSpamCollection.Ensure(cacheDirectory: temp.Path, urls: [$"{server.BaseUrl}/a.zip"]);

        act.Should().Throw<DataSetUnavailableException>().WithMessage("*no member 'SMSSpamCollection'*readme*");
    }

    private static byte[] MakeZip(params (string Name, string Content)[] members)
    {
        using var memory = new MemoryStream();
        using (var archive = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in members)
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open(), new UTF8Encoding(false));
                writer.Write(content);
            }
        }
        return memory.ToArray();
    }
}
