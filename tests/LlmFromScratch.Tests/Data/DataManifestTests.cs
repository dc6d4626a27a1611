using LlmFromScratch.Data;

namespace LlmFromScratch.Tests.Data;

public class DataManifestTests
{
    [Fact]
    public void Manifest_ListsTheVerdict_WithItsPublishedSizeAndHash()
    {
        var verdict = DataManifest.Get("the-verdict");

        verdict.Size.Should().Be(20479);
        verdict.Sha256.Should().Be("b41e41a68f0398a3154ae69e2e4c0e2694e17fe0d66730536837f1b01935b31f");
        verdict.Urls.Should().NotBeEmpty();
    }

    [Fact]
    public void Get_Throws_NamingTheKnownDataSets_WhenTheNameIsUnknown()
    {
        var act = () => DataManifest.Get("no-such-data");

        act.Should().Throw<ArgumentException>().WithMessage("*no-such-data*the-verdict*");
    }

    [Fact]
    public void Ensure_ReturnsAVerifiedCachedFile()
    {
        var path = DataSets.Ensure("the-verdict");

        FileHash.Compute(path).Should().Be((20479L, "b41e41a68f0398a3154ae69e2e4c0e2694e17fe0d66730536837f1b01935b31f"));
    }
}
