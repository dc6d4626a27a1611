using LlmFromScratch.Exercises;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Exercises;

public class CheckTests
{
    private static Tensor Softmax(Tensor x)
    {
        var e = (x - x.amax([-1], keepdim: true)).exp();
        return e / e.sum(-1, keepdim: true);
    }

    [Fact]
    public void Evaluate_Passes_ACorrectAnswer()
    {
        var outcome = Check.Evaluate("A.1", (Func<Tensor, Tensor>)Softmax);

        outcome.Status.Should().Be("pass", outcome.Message);
    }

    [Fact]
    public void Evaluate_Fails_AStub_WithTheHint()
    {
        var outcome = Check.Evaluate("A.1", (Func<Tensor, Tensor>)(_ => throw new NotImplementedException("Exercise A.1: …")));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().StartWith("not implemented yet").And.Contain("subtract the row maximum");
    }

    [Fact]
    public void Evaluate_NamesTheShape_WhenTheShapeIsWrong()
    {
        var outcome = Check.Evaluate("A.1", (Func<Tensor, Tensor>)(x => Softmax(x).sum(-1)));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("shape (), expected (4)");
    }

    [Fact]
    public void Evaluate_NamesMaxDifferenceAndFirstWrongElement_WhenValuesDiffer()
    {
        var outcome = Check.Evaluate("A.1", (Func<Tensor, Tensor>)(x => x.exp() / x.exp().sum()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("max abs difference").And.Contain("first wrong element at [");
    }

    [Fact]
    public void Evaluate_ShowsBothSignatures_WhenTheAnswerHasTheWrongForm()
    {
        var outcome = Check.Evaluate("A.1", (Func<int, int>)(x => x));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("expected a function (Tensor) -> Tensor, got (Int32) -> Int32");
    }

    [Fact]
    public void Evaluate_ReportsLearnerExceptions_WithTheirType()
    {
        var outcome = Check.Evaluate("A.3", (Func<int>)(() => throw new DivideByZeroException()));

        outcome.Status.Should().Be("fail");
        outcome.Message.Should().Contain("your code threw DivideByZeroException");
    }

    [Fact]
    public void Evaluate_StopsWaiting_ForCodeThatNeverReturns()
    {
        var saved = Check.TimeLimit;
        Check.TimeLimit = TimeSpan.FromMilliseconds(300);
        try
        {
            var outcome = Check.Evaluate("A.3", (Func<int>)(() => { Thread.Sleep(Timeout.Infinite); return 0; }));

            outcome.Status.Should().Be("fail");
            outcome.Message.Should().Contain("did not finish within");
        }
        finally
        {
            Check.TimeLimit = saved;
        }
    }

    [Fact]
    public void Evaluate_ListsKnownIds_ForAnUnknownExercise()
    {
        Check.Evaluate("99.9", (Func<int>)(() => 1)).Message.Should().Contain("no exercise with id '99.9'").And.Contain("A.1");
    }

    [Theory]
    [InlineData(2213, "pass")]
    [InlineData(2212, "fail")]
    public void Answer_ComparesAPlainValue(long answer, string status)
    {
        Check.Evaluate("A.3", () => answer).Status.Should().Be(status);
    }

    [Fact]
    public void Exercise_AppendsAJsonLine_WhenTheGraderAsksForResults()
    {
        var file = Path.GetTempFileName();
        Environment.SetEnvironmentVariable("COURSE_CHECK_RESULTS", file);
        try
        {
            Check.Answer("A.3", 2213);
        }
        finally
        {
            Environment.SetEnvironmentVariable("COURSE_CHECK_RESULTS", null);
        }

        File.ReadAllText(file).Should().Contain("\"Id\":\"A.3\"").And.Contain("\"Status\":\"pass\"");
    }

    [Fact]
    public void EveryExercise_HasATitleAndAHint()
    {
        foreach (var id in ExerciseCatalog.Ids)
        {
            ExerciseCatalog.TryGet(id, out var e).Should().BeTrue();
            e!.Title.Should().NotBeNullOrWhiteSpace();
            e.Hint.Should().NotBeNullOrWhiteSpace();
        }
    }
}
