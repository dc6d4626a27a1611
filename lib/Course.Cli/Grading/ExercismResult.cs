using System.Text.Json.Serialization;

namespace Course.Cli.Grading;

/// <summary>One exercise in the Exercism test-runner v3 shape.</summary>
public sealed record ExercismTest(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("output")] string? Output,
    [property: JsonPropertyName("task_id")] int TaskId);

/// <summary>A graded submission in the Exercism test-runner v3 shape (results.json).</summary>
public sealed record ExercismResult(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("tests")] IReadOnlyList<ExercismTest> Tests)
{
    public static ExercismResult From(IReadOnlyList<ExercismTest> tests) =>
        new(3, tests.Any(t => t.Status == "error") ? "error" : tests.All(t => t.Status == "pass") ? "pass" : "fail", null, tests);

    public static ExercismResult Broken(string message) => new(3, "error", message, []);
}
