using LlmFromScratch.Finetuning;
using TorchSharp;

namespace LlmFromScratch.Tests.Finetuning;

public class ClassificationSplitsTests
{
    private static List<LabeledText> SmsShaped() =>
        Enumerable.Range(0, 5572).Select(i => new LabeledText($"message {i}", i < 747 ? SpamLabel.Spam : SpamLabel.Ham)).ToList();

    [Fact]
    public void Balance_KeepsAllSpam_AndAsManyHam_HamFirst()
    {
        var data = SmsShaped();

        var balanced = ClassificationSplits.Balance(data);

        balanced.Should().HaveCount(1494);
        balanced.Take(747).Should().OnlyContain(d => d.Label == SpamLabel.Ham).And.OnlyHaveUniqueItems();
        balanced.Skip(747).Should().Equal(data.Take(747));
    }

    [Fact]
    public void Balance_IsReproducible_PerSeed()
    {
        var data = SmsShaped();

        ClassificationSplits.Balance(data, seed: 123).Should().Equal(ClassificationSplits.Balance(data, seed: 123));
        ClassificationSplits.Balance(data, seed: 123).Should().NotEqual(ClassificationSplits.Balance(data, seed: 124));
    }

    [Fact]
    public void Balance_Throws_WhenThereIsLessHamThanSpam()
    {
        var act = () => ClassificationSplits.Balance([new("a", 1), new("b", 1), new("c", 0)]);

        act.Should().Throw<ArgumentException>().WithMessage("1 ham messages cannot be sampled down to the 2 spam messages*");
    }

    [Fact]
    public void Split_Gives1045_149_300_ForTheBalancedSmsData()
    {
        var balanced = ClassificationSplits.Balance(SmsShaped());

        var split = ClassificationSplits.Split(balanced, 0.7, 0.1);

        (split.Train.Count, split.Validation.Count, split.Test.Count).Should().Be((1045, 149, 300));
        split.Train.Concat(split.Validation).Concat(split.Test).Select(d => d.Text).Order()
            .Should().Equal(balanced.Select(d => d.Text).Order());
    }

    [Fact]
    public void Split_ShufflesWithTorchRandperm_SeededLikeAGenerator()
    {
        var data = Enumerable.Range(0, 10).ToList();
        using var generator = new torch.Generator(123);
        var expected = torch.randperm(10, generator: generator).data<long>().Select(i => (int)i).ToList();

        var split = ClassificationSplits.Split(data, 0.5, 0.2, seed: 123);

        split.Train.Concat(split.Validation).Concat(split.Test).Should().Equal(expected);
        (split.Train.Count, split.Validation.Count, split.Test.Count).Should().Be((5, 2, 3));
    }

    [Fact]
    public void Split_Throws_WhenTheFractionsLeaveNoTestPortion()
    {
        var act = () => ClassificationSplits.Split(new[] { 1, 2, 3 }, 0.8, 0.3);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("validationFraction");
    }
}
