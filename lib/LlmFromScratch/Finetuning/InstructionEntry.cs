using System.Text.Json.Serialization;

namespace LlmFromScratch.Finetuning;

/// <summary>One entry of chapter 7's <c>instruction-data.json</c> (JSON keys in brackets).</summary>
public sealed record InstructionEntry
{
    /// <summary>The task (<c>instruction</c>).</summary>
    [JsonPropertyName("instruction")]
    public required string Instruction { get; init; }

    /// <summary>Optional extra input for the task (<c>input</c>); empty when there is none.</summary>
    [JsonPropertyName("input")]
    public string Input { get; init; } = "";

    /// <summary>The reference answer (<c>output</c>).</summary>
    [JsonPropertyName("output")]
    public required string Output { get; init; }

    /// <summary>A fine-tuned model's answer (<c>model_response</c>), present in <c>instruction-data-with-response.json</c>.</summary>
    [JsonPropertyName("model_response")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ModelResponse { get; init; }
}
