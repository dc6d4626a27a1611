using Course.Cli.Exercises;
using LlmFromScratch.Exercises;

namespace Course.Cli.Tests;

public class CourseExercisesTests
{
    private static IEnumerable<string> Solutions =>
        Directory.GetFiles(Path.Combine(CourseProcess.RepoRoot, "notebooks", "solutions"), "*.ipynb").Order(StringComparer.Ordinal);

    [Fact]
    public void EveryChapterAndAppendix_HasASolutionNotebook_WithAtLeastThreeCatalogedExercises()
    {
        Solutions.Select(Path.GetFileName).Should().Contain(["ch01-understanding-llms.ipynb", "ch07-instruction-finetuning.ipynb", "appendix-e-lora.ipynb"]);
        foreach (var notebook in Solutions)
        {
            var ids = LearnerNotebookGenerator.ExerciseIds(File.ReadAllText(notebook));

            ids.Should().HaveCountGreaterThanOrEqualTo(3, Path.GetFileName(notebook));
            ids.Should().OnlyHaveUniqueItems();
            ids.Where(id => !ExerciseCatalog.TryGet(id, out _)).Should().BeEmpty($"{Path.GetFileName(notebook)} checks only cataloged exercises");
        }
    }

    [Fact]
    public void EveryCatalogedExercise_AppearsInExactlyOneNotebook()
    {
        var marked = Solutions.SelectMany(n => LearnerNotebookGenerator.ExerciseIds(File.ReadAllText(n))).ToList();

        marked.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(ExerciseCatalog.Ids);
    }
}
