namespace LlmFromScratch.Finetuning;

/// <summary>The judge endpoint cannot be used at all: nothing listens there, or it rejects the model or the key.</summary>
public sealed class JudgeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
