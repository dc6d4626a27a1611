using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace LlmFromScratch.Exercises;

/// <summary>
/// The one-line check a learner calls after an exercise: <c>Check.Exercise("3.2", MyFunction);</c>. It prints
/// "public checks passed" or exactly what differs, never stops the notebook, and, when <c>COURSE_CHECK_RESULTS</c>
/// names a file (as <c>course grade</c> sets it), appends the outcome there as one JSON line.
/// </summary>
public static class Check
{
    /// <summary>How long a learner's code may run inside one check before it is reported as too slow.</summary>
    public static TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Runs the check for exercise <paramref name="id"/> on <paramref name="answer"/> and prints the outcome.</summary>
    /// <param name="id">Exercise id as written in the notebook, e.g. "3.2".</param>
    /// <param name="answer">The learner's function, module factory (a lambda) or value (wrapped as <c>() => value</c>).</param>
    public static CheckOutcome Exercise(string id, Delegate answer)
    {
        var outcome = Evaluate(id, answer);
        Console.WriteLine(outcome.Passed
            ? $"✔ Exercise {outcome.Id} — {outcome.Title}: public checks passed."
            : $"✘ Exercise {outcome.Id} — {outcome.Title}: {outcome.Message}");
        Record(outcome);
        return outcome;
    }

    /// <summary>Checks a plain answer (a number, a shape…): <c>Check.Answer("4.1", 163_009_536)</c>.</summary>
    public static CheckOutcome Answer<T>(string id, T answer) => Exercise(id, () => answer);

    /// <summary>Runs a check without printing or recording it (used by tests).</summary>
    public static CheckOutcome Evaluate(string id, Delegate answer)
    {
        if (!ExerciseCatalog.TryGet(id, out var exercise))
            return new(id, "unknown exercise", "error", $"no exercise with id '{id}'. Known: {string.Join(", ", ExerciseCatalog.Ids)}");
        try
        {
            ArgumentNullException.ThrowIfNull(answer);
            RunWithTimeLimit(() => exercise.Run(answer));
            return new(id, exercise.Title, "pass", "");
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            var (status, message) = inner switch
            {
                NotImplementedException => ("fail", $"not implemented yet. Hint: {exercise.Hint}"),
                Mismatch m => ("fail", $"{m.Message}. Hint: {exercise.Hint}"),
                TimeoutException t => ("fail", t.Message),
                InvalidCastException or TargetParameterCountException or ArgumentException when FromCheck(inner) =>
                    ("fail", $"the answer does not have the expected form: {inner.Message}"),
                _ => ("fail", $"your code threw {inner.GetType().Name}: {inner.Message}. Hint: {exercise.Hint}"),
            };
            return new(id, exercise.Title, status, message);
        }
    }

    private static void RunWithTimeLimit(Action action)
    {
        var task = Task.Run(action);
        if (!task.Wait(TimeLimit))
            throw new TimeoutException($"your code did not finish within {TimeLimit.TotalSeconds:0} s (an endless loop?)");
        task.GetAwaiter().GetResult();
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerException: { } a }) e = a;
        while (e is TargetInvocationException { InnerException: { } t }) e = t;
        return e is AggregateException { InnerException: { } again } ? Unwrap(again) : e;
    }

    private static bool FromCheck(Exception e) => e.TargetSite?.DeclaringType?.Namespace?.StartsWith("System") ?? true;

    private static void Record(CheckOutcome outcome)
    {
        var file = Environment.GetEnvironmentVariable("COURSE_CHECK_RESULTS");
        if (string.IsNullOrEmpty(file)) return;
        try
        {
            File.AppendAllText(file, JsonSerializer.Serialize(outcome) + "\n");
        }
        catch (IOException e)
        {
            Debug.WriteLine($"could not record the check result: {e.Message}");
        }
    }
}
