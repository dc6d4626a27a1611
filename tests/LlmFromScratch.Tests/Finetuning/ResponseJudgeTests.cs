using System.Text.Json;
using System.Text.Json.Nodes;
using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

public class ResponseJudgeTests
{
    private static readonly InstructionEntry Entry = new() { Instruction = "Name the capital of France.", Output = "Paris." };

    /// <summary>An OpenAI chat-completions body whose assistant message is <paramref name="content"/>.</summary>
    private static LoopbackServer.Response Completion(string content) => LoopbackServer.Response.Json(new JsonObject
    {
        ["id"] = "chatcmpl-test",
        ["object"] = "chat.completion",
        ["created"] = 1700000000,
        ["model"] = "llama3",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
            ["finish_reason"] = "stop",
        }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["completion_tokens"] = 1, ["total_tokens"] = 2 },
    }.ToJsonString());

    private static string PromptOf(LoopbackServer.Request request) =>
        JsonNode.Parse(request.Body)!["messages"]![0]!["content"]!.GetValue<string>();

    private static ResponseJudge JudgeAt(LoopbackServer server) =>
        new(new JudgeOptions($"{server.BaseUrl}/v1", "llama3"));

    [Fact]
    public void BuildPrompt_IsTheBooksPrompt()
    {
        ResponseJudge.BuildPrompt(Entry, "The capital is Paris.").Should().Be(
            "Given the input `Below is an instruction that describes a task. Write a response that appropriately completes the request." +
            "\n\n### Instruction:\nName the capital of France.` and correct output `Paris.`, score the model response " +
            "`The capital is Paris.` on a scale from 0 to 100, where 100 is the best score. Respond with the integer number only.");
    }

    [Theory]
    [InlineData("85", 85)]
    [InlineData(" 100\n", 100)]
    [InlineData("0", 0)]
    [InlineData("Score: 72/100", 72)]
    [InlineData("I would rate it 90.", 90)]
    [InlineData("95%", 95)]
    public void ParseScore_TakesTheFirstInteger(string reply, int score)
    {
        ResponseJudge.ParseScore(reply).Should().Be(new JudgeScore(score, reply, null));
    }

    [Theory]
    [InlineData("no idea", "the reply holds no number")]
    [InlineData("", "the reply holds no number")]
    [InlineData("150", "150 is outside 0..100")]
    [InlineData("-5", "-5 is outside 0..100")]
    [InlineData("85.5", "'85.5' is not an integer")]
    [InlineData("99999999999999", "99999999999999 is outside 0..100")]
    public void ParseScore_RecordsAFailure_ForUnusableReplies(string reply, string failure)
    {
        ResponseJudge.ParseScore(reply).Should().Be(new JudgeScore(null, reply, failure));
    }

    [Fact]
    public async Task ScoreAsync_SendsTheBooksPromptDeterministically_AndParsesTheReply()
    {
        using var server = new LoopbackServer(_ => Completion("87"));

        var score = await JudgeAt(server).ScoreAsync(Entry, "Paris");

        score.Should().Be(new JudgeScore(87, "87", null));
        var request = server.Requests.Single();
        request.Method.Should().Be("POST");
        request.Path.Should().Be("/v1/chat/completions");
        var body = JsonNode.Parse(request.Body)!;
        body["model"]!.GetValue<string>().Should().Be("llama3");
        body["temperature"]!.GetValue<double>().Should().Be(0);
        body["seed"]!.GetValue<long>().Should().Be(123);
        body["messages"]![0]!["role"]!.GetValue<string>().Should().Be("user");
        PromptOf(request).Should().Be(ResponseJudge.BuildPrompt(Entry, "Paris"));
    }

    [Theory]
    [InlineData("I cannot score this.", "the reply holds no number")]
    [InlineData("250", "250 is outside 0..100")]
    public async Task ScoreAsync_RecordsMalformedReplies_AsFailures(string reply, string failure)
    {
        using var server = new LoopbackServer(_ => Completion(reply));

        var score = await JudgeAt(server).ScoreAsync(Entry, "Paris");

        score.Should().Be(new JudgeScore(null, reply, failure));
    }

    [Fact]
    public async Task ScoreAsync_RecordsAServerError_AsAFailure()
    {
        using var server = new LoopbackServer(_ => LoopbackServer.Response.Json("""{"error":{"message":"boom"}}""", status: 500));

        var score = await JudgeAt(server).ScoreAsync(Entry, "Paris");

        score.Succeeded.Should().BeFalse();
        score.Failure.Should().StartWith("request failed:");
    }

    [Fact]
    public async Task ScoreAsync_ScoresAnEmptyResponseZero_WithoutAsking()
    {
        using var server = new LoopbackServer(_ => Completion("50"));

        var score = await JudgeAt(server).ScoreAsync(Entry, "");

        score.Should().Be(new JudgeScore(0, "", null));
        server.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task ScoreAsync_Throws_SayingHowToStartAJudge_WhenNothingListens()
    {
        var endpoint = $"http://127.0.0.1:{LoopbackServer.ClosedPort()}/v1";
        var judge = new ResponseJudge(new JudgeOptions(endpoint, "llama3"));

        var act = () => judge.ScoreAsync(Entry, "Paris");

        (await act.Should().ThrowAsync<JudgeUnavailableException>()).WithMessage(
            $"no judge endpoint at {endpoint}; start Ollama (`ollama serve`, `ollama pull llama3`) or set COURSE_JUDGE_ENDPOINT*");
    }

    [Fact]
    public async Task ScoreAsync_Throws_NamingTheModel_WhenTheServerDoesNotKnowIt()
    {
        using var server = new LoopbackServer(_ => LoopbackServer.Response.Json("""{"error":{"message":"model \"llama3\" not found, try pulling it first"}}""", status: 404));

        var act = () => JudgeAt(server).ScoreAsync(Entry, "Paris");

        (await act.Should().ThrowAsync<JudgeUnavailableException>()).WithMessage("*HTTP 404 for model 'llama3'*ollama pull llama3*");
    }

    [Fact]
    public async Task ScoreAllAsync_ScoresTheBooksTestResponses_EndToEnd()
    {
        var entries = InstructionData.Load(TestData.Path("instruction-data-with-response"));
        // The fake judge's rule: the response's length mod 101; lengths ending in 0 get a wordy refusal and
        // lengths ending in 1 an out-of-range number, so both failure kinds occur in the real data.
        static string Reply(string response) => (response.Length % 10) switch
        {
            0 => "As an AI, I cannot give a score.",
            1 => "105",
            _ => $"Score: {response.Length % 101}",
        };
        using var server = new LoopbackServer(request =>
        {
            var prompt = PromptOf(request);
            var entry = entries.Single(e => ResponseJudge.BuildPrompt(e, e.ModelResponse!) == prompt);
            return Completion(Reply(entry.ModelResponse!));
        });
        var progress = new List<int>();

        var report = await JudgeAt(server).ScoreAllAsync(entries, progress: new SynchronousProgress(progress));

        var expected = entries.Select(e => e.ModelResponse!.Length).Where(n => n % 10 > 1).Select(n => n % 101).ToList();
        report.Results.Should().HaveCount(110);
        server.Requests.Should().HaveCount(110);
        report.Scores.Should().Equal(expected);
        report.FailureCount.Should().Be(entries.Count(e => e.ModelResponse!.Length % 10 <= 1));
        report.FailureCount.Should().BeGreaterThan(0);
        report.Average.Should().BeApproximately(expected.Average(), 1e-12);
        report.Results.Where(r => !r.Succeeded).Select(r => r.Failure).Distinct()
            .Should().BeEquivalentTo("the reply holds no number", "105 is outside 0..100");
        progress.Should().Equal(Enumerable.Range(1, 110));
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, which would race the assertion).</summary>
    private sealed class SynchronousProgress(List<int> seen) : IProgress<int>
    {
        public void Report(int value) => seen.Add(value);
    }
}
