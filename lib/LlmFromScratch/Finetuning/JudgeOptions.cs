using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace LlmFromScratch.Finetuning;

/// <summary>
/// Where the chapter 7 judge model runs: any OpenAI-compatible chat endpoint. Ollama serves one at
/// <c>http://localhost:11434/v1</c>; the book's judge is Ollama's <c>llama3</c>.
/// </summary>
/// <param name="Endpoint">Base URL of the OpenAI-compatible API (the part before <c>/chat/completions</c>).</param>
/// <param name="Model">Model name the server knows.</param>
/// <param name="ApiKey">API key, if the server wants one (Ollama does not).</param>
/// <param name="Timeout">How long one request may take; a local model on a CPU can be slow.</param>
public sealed record JudgeOptions(string Endpoint, string Model, string? ApiKey = null, TimeSpan? Timeout = null)
{
    /// <summary>Ollama's OpenAI-compatible endpoint on this machine.</summary>
    public const string DefaultEndpoint = "http://localhost:11434/v1";

    /// <summary>The book's judge model.</summary>
    public const string DefaultModel = "llama3";

    /// <summary>
    /// Reads <c>COURSE_JUDGE_ENDPOINT</c> (default <see cref="DefaultEndpoint"/>), <c>COURSE_JUDGE_MODEL</c>
    /// (default <see cref="DefaultModel"/>) and <c>COURSE_JUDGE_API_KEY</c> (optional).
    /// </summary>
    public static JudgeOptions FromEnvironment() => new(
        Env("COURSE_JUDGE_ENDPOINT") ?? DefaultEndpoint,
        Env("COURSE_JUDGE_MODEL") ?? DefaultModel,
        Env("COURSE_JUDGE_API_KEY"));

    /// <summary>
    /// A chat client for the endpoint (OpenAI's .NET client behind <c>Microsoft.Extensions.AI</c>'s <see cref="IChatClient"/>),
    /// with no retries: a judge that is not running should be reported at once, not after minutes of back-off.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="Endpoint"/> is not an absolute http(s) URL.</exception>
    public IChatClient CreateChatClient()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"judge endpoint '{Endpoint}' is not an absolute http(s) URL (e.g. {DefaultEndpoint})", nameof(Endpoint));
        var options = new OpenAIClientOptions
        {
            Endpoint = uri,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout ?? TimeSpan.FromMinutes(5),
        };
        // OpenAI's client insists on a key; local servers ignore it.
        var credential = new ApiKeyCredential(string.IsNullOrEmpty(ApiKey) ? "no-key" : ApiKey);
        return new OpenAI.Chat.ChatClient(Model, credential, options).AsIChatClient();
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
