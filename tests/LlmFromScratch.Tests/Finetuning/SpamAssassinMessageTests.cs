using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class SpamAssassinMessageTests
{
    [Fact]
    public void FromRaw_SplitsAtTheFirstEmptyLine_AndUnfoldsTheSubject()
    {
        var raw = "From someone@example.com\nSubject: Cheap\n\tmeds  \nX-Other: 1\n\nBuy now!\n\nSecond paragraph.\n";

        var message = SpamAssassinMessage.FromRaw("spam-2", "00042", raw);

        message.Subject.Should().Be("Cheap meds");
        message.Body.Should().Be("Buy now!\n\nSecond paragraph.");
        message.Text.Should().Be("Cheap meds\nBuy now!\n\nSecond paragraph.");
        message.Label.Should().Be(SpamLabel.Spam);
        message.ToLabeledText().Should().Be(new LabeledText("Cheap meds\nBuy now!\n\nSecond paragraph.", 1));
    }

    [Fact]
    public void FromRaw_HandlesCrLfHeaders_AndAMissingSubject()
    {
        var message = SpamAssassinMessage.FromRaw("easy-ham-1", "00001", "From: a\r\nTo: b\r\n\r\nHello\r\n");

        message.Subject.Should().BeEmpty();
        message.Text.Should().Be("Hello");
        message.Label.Should().Be(SpamLabel.Ham);
    }

    [Theory]
    [InlineData("easy-ham-1", 0)]
    [InlineData("easy-ham-2", 0)]
    [InlineData("hard-ham-1", 0)]
    [InlineData("spam-1", 1)]
    [InlineData("spam-2", 1)]
    public void LabelOfGroup_MapsTheCorpusFolders(string group, int label)
    {
        SpamAssassinMessage.LabelOfGroup(group).Should().Be(label);
    }

    [Fact]
    public void LabelOfGroup_Throws_ForAnUnknownFolder()
    {
        var act = () => SpamAssassinMessage.LabelOfGroup("misc");

        act.Should().Throw<ArgumentException>().WithMessage("corpus group 'misc'*");
    }
}
