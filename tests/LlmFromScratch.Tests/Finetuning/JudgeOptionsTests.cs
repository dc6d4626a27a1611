using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class JudgeOptionsTests
{
    [Fact]
    public void FromEnvironment_ReadsTheCourseVariables_WithOllamaDefaults()
    {
        var saved = new[] { "COURSE_JUDGE_ENDPOINT", "COURSE_JUDGE_MODEL", "COURSE_JUDGE_API_KEY" }
            .ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var name in saved.Keys) Environment.SetEnvironmentVariable(name, null);
            JudgeOptions.FromEnvironment().Should().Be(new JudgeOptions("http://localhost:11434/v1", "llama3"));

            Environment.SetEnvironmentVariable("COURSE_JUDGE_ENDPOINT", "http://127.0.0.1:8080/v1");
            Environment.SetEnvironmentVariable("COURSE_JUDGE_MODEL", "qwen2.5:7b");
            Environment.SetEnvironmentVariable("COURSE_JUDGE_API_KEY", "secret");
            JudgeOptions.FromEnvironment().Should().Be(new JudgeOptions("http://127.0.0.1:8080/v1", "qwen2.5:7b", "secret"));
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }

    [Fact]
    public void CreateChatClient_Throws_ForARelativeEndpoint()
    {
        var act = () => new JudgeOptions("localhost:11434", "llama3").CreateChatClient();

        act.Should().Throw<ArgumentException>().WithMessage("judge endpoint 'localhost:11434' is not an absolute http(s) URL*");
    }
}
