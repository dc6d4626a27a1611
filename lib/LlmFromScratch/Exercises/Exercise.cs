namespace LlmFromScratch.Exercises;

/// <summary>
/// One checkable exercise: an id ("3.2"), what it asks, a hint, and a check that runs the learner's code against
/// the library's reference on fresh random inputs. The check receives what the learner passed to
/// <see cref="Check.Exercise"/> (a function, a module factory, or an answer).
/// </summary>
/// <param name="Id">Chapter-numbered id, e.g. "3.2".</param>
/// <param name="Title">One line saying what to implement.</param>
/// <param name="Hint">Shown when the check fails.</param>
/// <param name="Run">Throws <see cref="Mismatch"/> (or any exception from the learner's code) when the answer is wrong.</param>
public sealed record Exercise(string Id, string Title, string Hint, Action<Delegate> Run);
