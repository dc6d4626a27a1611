using System.Text.Json.Nodes;
using Course.Cli.Exercises;

namespace Course.Cli.Tests;

public class LearnerNotebookGeneratorTests
{
    private static string Notebook(params string[] cells)
    {
        var dir = NotebookBuilder.TempFolder();
        return File.ReadAllText(NotebookBuilder.Write(dir, "s.ipynb", cells));
    }

    private static List<string> CodeOf(string json) =>
        JsonNode.Parse(json)!["cells"]!.AsArray().Select(c => string.Concat(c!["source"]!.AsArray().Select(l => l!.GetValue<string>()))).ToList();

    [Fact]
    public void Generate_ReplacesEachSolutionRegion_WithAThrowNamingTheExerciseAndHint()
    {
        var solution = Notebook(
            "#load \"../setup.csx\"",
            "// EXERCISE 2.1: sliding window\nint[] Window(int[] ids)\n{\n    // BEGIN SOLUTION hint: take ids[i..i+n]\n    return ids[..4];\n    // END SOLUTION\n}",
            "Check.Exercise(\"2.1\", Window);");

        var code = CodeOf(LearnerNotebookGenerator.Generate(solution, "s.ipynb"));

        code[0].Should().Be("#load \"setup.csx\"");
        code[1].Should().Be("// EXERCISE 2.1: sliding window\nint[] Window(int[] ids)\n{\n    throw new NotImplementedException(\"Exercise 2.1: take ids[i..i+n]\");\n}");
        code[2].Should().Be("Check.Exercise(\"2.1\", Window);");
    }

    [Fact]
    public void Generate_IsStable_SoCommittedLearnerNotebooksCanBeComparedByteForByte()
    {
        var solution = Notebook("// EXERCISE 1.1\nint F() {\n// BEGIN SOLUTION\nreturn 1;\n// END SOLUTION\n}");

        var once = LearnerNotebookGenerator.Generate(solution, "s");

        LearnerNotebookGenerator.Generate(once, "s").Should().Be(once);
    }

    [Theory]
    [InlineData("int F() {\n// BEGIN SOLUTION\nreturn 1;\n// END SOLUTION\n}", "needs an `// EXERCISE id`")]
    [InlineData("// EXERCISE 1.1\n// BEGIN SOLUTION\nreturn 1;", "BEGIN SOLUTION without END SOLUTION")]
    [InlineData("// EXERCISE 1.1\nreturn 1;\n// END SOLUTION", "END SOLUTION without BEGIN SOLUTION")]
    public void Generate_RejectsMalformedRegions_NamingTheCell(string cell, string problem)
    {
        var act = () => LearnerNotebookGenerator.Generate(Notebook("var a = 1;", cell), "bad.ipynb");

        act.Should().Throw<InvalidDataException>().WithMessage($"bad.ipynb cell 2: *{problem}*");
    }

    [Fact]
    public void ExerciseIds_ListsTheMarkedCellsInOrder()
    {
        var nb = Notebook("// EXERCISE 3.1\nvar a = 1;", "var b = 2;", "  // EXERCISE 3.2: heads\nvar c = 3;");

        LearnerNotebookGenerator.ExerciseIds(nb).Should().Equal("3.1", "3.2");
    }
}

public class LearnerNotebookGeneratorHintTests
{
    [Fact]
    public void Generate_EscapesBackslashesAndQuotesInHints_SoTheStubCompiles()
    {
        var dir = NotebookBuilder.TempFolder();
        var solution = File.ReadAllText(NotebookBuilder.Write(dir, "s.ipynb",
            "// EXERCISE 2.1\nstring[] Split(string s)\n{\n    // BEGIN SOLUTION hint: split on \\s and \"--\"\n    return [];\n    // END SOLUTION\n}"));

        var learner = LearnerNotebookGenerator.Generate(solution, "s.ipynb");

        learner.Should().Contain("throw new NotImplementedException(\\\"Exercise 2.1: split on \\\\\\\\s and \\\\\\\"--\\\\\\\"\\\");");
    }
}
