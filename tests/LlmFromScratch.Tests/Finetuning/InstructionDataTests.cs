using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class InstructionDataTests
{
    [Fact]
    public void Load_ReadsThe1100Entries_325WithAnInput()
    {
        var data = InstructionData.Load(TestData.Path("instruction-data"));

        data.Should().HaveCount(1100);
        data.Count(e => e.Input.Length > 0).Should().Be(325);
        data[0].Instruction.Should().Be("Evaluate the following phrase by transforming it into the spelling given.");
        data.Should().OnlyContain(e => e.ModelResponse == null);
    }

    [Fact]
    public void Split_Gives935Train_55Validation_110Test()
    {
        var split = InstructionData.Split(InstructionData.Load(TestData.Path("instruction-data")));

        (split.Train.Count, split.Validation.Count, split.Test.Count).Should().Be((935, 55, 110));
    }

    [Fact]
    public void Split_TakesTheTestPortionBeforeTheValidationPortion_LikeTheBook()
    {
        var data = InstructionData.Load(TestData.Path("instruction-data"));
        var withResponses = InstructionData.Load(TestData.Path("instruction-data-with-response"));

        var split = InstructionData.Split(data);

        // The book saved its test set with the model's responses: the same 110 entries, in order.
        withResponses.Should().HaveCount(110);
        withResponses.Should().OnlyContain(e => e.ModelResponse != null);
        split.Test.Should().Equal(withResponses.Select(e => e with { ModelResponse = null }));
        split.Train.Should().Equal(data.Take(935));
        split.Validation.Should().Equal(data.Skip(1045));
    }

    [Fact]
    public void Load_TreatsAMissingInputAsEmpty()
    {
        using var temp = new TempFolder();
        var path = temp.File("data.json");
        File.WriteAllText(path, """[{"instruction": "Say hi", "output": "hi"}, {"instruction": "Echo", "input": null, "output": "x"}]""");

        var data = InstructionData.Load(path);

        data.Select(e => e.Input).Should().Equal("", "");
    }

    [Fact]
    public void Load_Throws_NamingTheFile_WhenAnEntryLacksAnOutput()
    {
        using var temp = new TempFolder();
        var path = temp.File("data.json");
        File.WriteAllText(path, """[{"instruction": "Say hi", "input": ""}]""");

        var act = () => InstructionData.Load(path);

        act.Should().Throw<InvalidDataException>().WithMessage($"{path}: not a JSON array of instruction entries*output*");
    }

    [Fact]
    public void Save_WritesAFourSpaceIndentedArray_ThatLoadReadsBack()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "out", "instruction-data-with-response.json");
        var entries = new[]
        {
            new InstructionEntry { Instruction = "Translate 'café'.", Output = "coffee", ModelResponse = "coffee shop" },
            new InstructionEntry { Instruction = "Say hi", Input = "politely", Output = "Hello." },
        };

        InstructionData.Save(path, entries);

        InstructionData.Load(path).Should().Equal(entries);
        var text = File.ReadAllText(path);
        text.Should().StartWith("[\n    {\n        \"instruction\": \"Translate 'café'.\",");
        text.Should().Contain("\"model_response\": \"coffee shop\"");
        text.Split("model_response").Should().HaveCount(2, "an entry without a response has no model_response key");
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().ContainSingle();
    }
}
