namespace LlmFromScratch.Exercises;

/// <summary>Thrown inside a check when the learner's result differs from the reference; the message says how.</summary>
public sealed class Mismatch(string message) : Exception(message);
