using System.ClientModel;
using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Chapter 7.8's evaluation: a larger model scores each fine-tuned response from 0 to 100 against the reference
/// output. The book asks Ollama's <c>llama3</c>; this talks to any OpenAI-compatible endpoint through
/// <see cref="IChatClient"/>, with the book's prompt, temperature 0 and seed 123.
/// </summary>
/// <remarks>
/// The book also sets Ollama's <c>num_ctx</c> to 2048; the OpenAI-compatible API has no such option, so the
/// server's default context applies (ample for these short prompts).
/// </remarks>
public sealed partial class ResponseJudge
{
    private readonly IChatClient _client;
    private readonly string _model;

    /// <summary>A judge for the configured endpoint (e.g. <see cref="JudgeOptions.FromEnvironment"/>).</summary>
    public ResponseJudge(JudgeOptions options)
        : this(options.CreateChatClient(), options.Endpoint, options.Model)
    {
    }

    /// <summary>A judge over any chat client.</summary>
    /// <param name="client">The chat client; its default model is used.</param>
    /// <param name="endpoint">Where it points, for error messages.</param>
    /// <param name="model">Its model name, for error messages.</param>
    public ResponseJudge(IChatClient client, string endpoint, string model = JudgeOptions.DefaultModel)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Endpoint = endpoint;
        _model = model;
    }

    /// <summary>The endpoint being asked.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// The book's judge prompt: "Given the input `{format_input(entry)}` and correct output `{output}`, score the
    /// model response `{response}` on a scale from 0 to 100, where 100 is the best score. Respond with the integer
    /// number only." (always with the Alpaca format, as in the book).
    /// </summary>
    public static string BuildPrompt(InstructionEntry entry, string modelResponse)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return $"Given the input `{PromptFormat.Alpaca.FormatInput(entry)}` " +
               $"and correct output `{entry.Output}`, " +
               $"score the model response `{modelResponse}`" +
               " on a scale from 0 to 100, where 100 is the best score. " +
               "Respond with the integer number only.";
    }

    /// <summary>
    /// Reads a score from a reply: the first number in it must be an integer in 0..100 ("85", "Score: 85/100");
    /// a reply with no number, a fraction, or a number outside 0..100 is a failure with the reason.
    /// </summary>
    public static JudgeScore ParseScore(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var match = FirstNumber().Match(reply);
        if (!match.Success) return new JudgeScore(null, reply, "the reply holds no number");
        if (match.Groups["fraction"].Success) return new JudgeScore(null, reply, $"'{match.Value}' is not an integer");
        if (!int.TryParse(match.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var score) || score is < 0 or > 100)
            return new JudgeScore(null, reply, $"{match.Value} is outside 0..100");
        return new JudgeScore(score, reply, null);
    }

    /// <summary>
    /// Scores one response. An empty response scores 0 without asking (as in the book). A reply without a usable
    /// number, or a server error for this request, is returned as a failure, not thrown.
    /// </summary>
    /// <exception cref="JudgeUnavailableException">
    /// Nothing answers at <see cref="Endpoint"/>, or it rejects the model or key: no later entry could be scored either.
    /// </exception>
    public async Task<JudgeScore> ScoreAsync(InstructionEntry entry, string modelResponse, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (string.IsNullOrEmpty(modelResponse)) return new JudgeScore(0, "", null);
        var options = new ChatOptions { Temperature = 0, Seed = 123 };
        try
        {
            var response = await _client.GetResponseAsync(BuildPrompt(entry, modelResponse), options, cancel).ConfigureAwait(false);
            return ParseScore(response.Text);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            throw new JudgeUnavailableException(
                $"no judge endpoint at {Endpoint}; start Ollama (`ollama serve`, `ollama pull {_model}`) or set COURSE_JUDGE_ENDPOINT " +
                $"(and COURSE_JUDGE_MODEL, COURSE_JUDGE_API_KEY) to an OpenAI-compatible server. ({Innermost(e).Message})", e);
        }
        catch (ClientResultException e) when (e.Status is 401 or 403 or 404)
        {
            throw new JudgeUnavailableException(
                $"the judge at {Endpoint} answered HTTP {e.Status} for model '{_model}': {e.Message}\n" +
                $"Check the model name (COURSE_JUDGE_MODEL; with Ollama, `ollama pull {_model}`) and the key (COURSE_JUDGE_API_KEY).", e);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            return new JudgeScore(null, "", $"request failed: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Scores every entry's response in order (the book's <c>generate_model_scores</c>).
    /// </summary>
    /// <param name="entries">Entries with reference outputs.</param>
    /// <param name="responseOf">Where each entry's response is; default its <see cref="InstructionEntry.ModelResponse"/>.</param>
    /// <param name="progress">Receives the number of entries scored so far.</param>
    /// <param name="cancel">Stops between requests.</param>
    /// <exception cref="JudgeUnavailableException">See <see cref="ScoreAsync"/>.</exception>
    public async Task<JudgeReport> ScoreAllAsync(IReadOnlyList<InstructionEntry> entries, Func<InstructionEntry, string?>? responseOf = null,
        IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        responseOf ??= e => e.ModelResponse;
        var results = new List<JudgeScore>(entries.Count);
        foreach (var entry in entries)
        {
            cancel.ThrowIfCancellationRequested();
            results.Add(await ScoreAsync(entry, responseOf(entry) ?? "", cancel).ConfigureAwait(false));
            progress?.Report(results.Count);
        }
        return new JudgeReport(results);
    }

    private static bool IsConnectionFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException) return true;
            if (x is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }) return true;
        }
        return false;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    // A number not glued to a word ("GPT2"); an optional fraction is captured so "85.5" is rejected, not read as 85.
    [GeneratedRegex(@"(?<![\w.])-?\d+(?<fraction>\.\d+)?(?!\w)")]
    private static partial Regex FirstNumber();
}
