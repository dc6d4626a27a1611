using System.Diagnostics.CodeAnalysis;

namespace LlmFromScratch.Exercises;

/// <summary>Every exercise of the course, by id. Each chapter's exercises live in their own file (e.g. <c>Chapter02Exercises</c>).</summary>
public static class ExerciseCatalog
{
    private static readonly Lazy<Dictionary<string, Exercise>> _all = new(() =>
        Chapters().SelectMany(c => c).ToDictionary(e => e.Id));

    /// <summary>All exercise ids in order.</summary>
    public static IEnumerable<string> Ids => _all.Value.Keys.OrderBy(k => k, StringComparer.Ordinal);

    public static bool TryGet(string id, [NotNullWhen(true)] out Exercise? exercise) => _all.Value.TryGetValue(id, out exercise);

    private static IEnumerable<IEnumerable<Exercise>> Chapters() => [Chapter01Exercises.All, Chapter02Exercises.All, Chapter03Exercises.All, Chapter04Exercises.All, AppendixAExercises.All];
}
