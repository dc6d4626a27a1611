using System.Text.Json.Nodes;

namespace Course.Cli.Tests;

/// <summary>
/// Grades small notebooks built on the appendix A exercises (which need only TorchSharp), the same way an instructor
/// grades a class: a source notebook with stubs and checks, and submissions that solve, skip, break or abuse them.
/// </summary>
public class GradeCommandTests
{
    private const string Setup = "#load \"setup.csx\"";
    private const string Usings = "using LlmFromScratch.Exercises;\nusing TorchSharp;\nusing static TorchSharp.torch;";
    private const string StubA1 = "// EXERCISE A.1: softmax\nTensor MySoftmax(Tensor x)\n{\n    throw new NotImplementedException(\"Exercise A.1\");\n}";
    private const string StubA2 = "// EXERCISE A.2: gradients\n(double, double) Gradients(double x, double y, double w, double b)\n{\n    throw new NotImplementedException(\"Exercise A.2\");\n}";
    private const string StubA3 = "// EXERCISE A.3: parameters\nlong ParameterCount()\n{\n    throw new NotImplementedException(\"Exercise A.3\");\n}";
    private const string CheckA1 = "Check.Exercise(\"A.1\", MySoftmax);";
    private const string CheckA2 = "Check.Exercise(\"A.2\", Gradients);";
    private const string CheckA3 = "Check.Exercise(\"A.3\", ParameterCount);";
    private const string SolvedA1 = "// EXERCISE A.1: softmax\nTensor MySoftmax(Tensor x)\n{\n    var e = (x - x.amax([-1], keepdim: true)).exp();\n    return e / e.sum(-1, keepdim: true);\n}";
    private const string SolvedA2 = "// EXERCISE A.2: gradients\n(double, double) Gradients(double x, double y, double w, double b)\n{\n    var r = w * x + b - y;\n    return (2 * r * x, 2 * r);\n}";
    private const string SolvedA3 = "// EXERCISE A.3: parameters\nlong ParameterCount()\n{\n    return 50 * 30 + 30 + 30 * 20 + 20 + 20 * 3 + 3;\n}";

    private static (string Source, string Work) Course()
    {
        var work = NotebookBuilder.TempFolder();
        var source = Path.Combine(work, "source");
        Directory.CreateDirectory(source);
        File.Copy(Path.Combine(CourseProcess.RepoRoot, "notebooks", "setup.csx"), Path.Combine(source, "setup.csx"));
        NotebookBuilder.Write(source, "appendix.ipynb", Setup, Usings, StubA1, CheckA1, StubA2, CheckA2, StubA3, CheckA3);
        return (source, work);
    }

    private static JsonNode Grade(string source, string submission, params string[] extra)
    {
        var json = Path.Combine(Path.GetDirectoryName(submission)!, "results.json");
        var (code, output) = CourseProcess.Run(Path.GetTempPath(), TimeSpan.FromMinutes(4),
            ["grade", submission, "--source", source, "--json", json, .. extra]);
        File.Exists(json).Should().BeTrue(output);
        return JsonNode.Parse(File.ReadAllText(json))!;
    }

    private static Dictionary<string, string> Statuses(JsonNode result) =>
        result["tests"]!.AsArray().ToDictionary(t => t!["name"]!.GetValue<string>().Split(' ')[1], t => t!["status"]!.GetValue<string>());

    private static string Submit(string work, string student, params string[] cells)
    {
        var dir = Path.Combine(work, student);
        Directory.CreateDirectory(dir);
        return NotebookBuilder.Write(dir, "appendix.ipynb", cells);
    }

    [Fact]
    public void Grade_PassesEveryExercise_OfASolvedNotebook_InExercismV3Shape()
    {
        var (source, work) = Course();
        var submission = Submit(work, "solved", Setup, Usings, SolvedA1, CheckA1, SolvedA2, CheckA2, SolvedA3, CheckA3);

        var result = Grade(source, submission);

        result["version"]!.GetValue<int>().Should().Be(3);
        result["status"]!.GetValue<string>().Should().Be("pass");
        Statuses(result).Should().Equal(new Dictionary<string, string> { ["A.1"] = "pass", ["A.2"] = "pass", ["A.3"] = "pass" });
        result["tests"]![0]!["task_id"]!.GetValue<int>().Should().Be(1);
        result["tests"]![0]!["output"]!.GetValue<string>().Should().Contain("public checks passed");
    }

    [Fact]
    public void Grade_FailsEveryExercise_OfAnUnsolvedNotebook_WithStatusFailNotError()
    {
        var (source, work) = Course();
        var submission = Submit(work, "unsolved", Setup, Usings, StubA1, CheckA1, StubA2, CheckA2, StubA3, CheckA3);

        var result = Grade(source, submission);

        result["status"]!.GetValue<string>().Should().Be("fail");
        Statuses(result).Values.Should().AllBe("fail");
        result["tests"]![1]!["message"]!.GetValue<string>().Should().Contain("not implemented yet");
    }

    [Fact]
    public void Grade_RestoresEditedAndDeletedCheckCells_AndFindsMovedExercises()
    {
        var (source, work) = Course();
        // The learner faked the A.1 check, deleted the A.3 check and moved their A.3 answer to the top.
        var submission = Submit(work, "cheeky", Setup, Usings, SolvedA3, StubA1, "Console.WriteLine(\"✔ Exercise A.1: public checks passed.\");", SolvedA2, CheckA2);

        var statuses = Statuses(Grade(source, submission));

        statuses.Should().Equal(new Dictionary<string, string> { ["A.1"] = "fail", ["A.2"] = "pass", ["A.3"] = "pass" });
    }

    [Fact]
    [Trait("Category", "Reliability")]
    public void Grade_TimesOutAnEndlessLoop_AndStillGradesTheOtherExercises()
    {
        var (source, work) = Course();
        var loop = "// EXERCISE A.2: gradients\n(double, double) Gradients(double x, double y, double w, double b)\n{\n    while (true) { }\n}";
        var submission = Submit(work, "loops", Setup, Usings, SolvedA1, CheckA1, loop, CheckA2, SolvedA3, CheckA3);

        var result = Grade(source, submission, "--check-timeout", "8");

        Statuses(result).Should().Equal(new Dictionary<string, string> { ["A.1"] = "pass", ["A.2"] = "error", ["A.3"] = "pass" });
        result["tests"]![1]!["message"]!.GetValue<string>().Should().Contain("did not finish within 8 s");
    }

    [Fact]
    [Trait("Category", "Reliability")]
    public void Grade_SurvivesEnvironmentExit_InALearnerCell()
    {
        var (source, work) = Course();
        var exits = "// EXERCISE A.1: softmax\nEnvironment.Exit(3);\nTensor MySoftmax(Tensor x) => x;";
        var submission = Submit(work, "exits", Setup, Usings, exits, CheckA1, SolvedA2, CheckA2, SolvedA3, CheckA3);

        var statuses = Statuses(Grade(source, submission));

        statuses.Should().Equal(new Dictionary<string, string> { ["A.1"] = "error", ["A.2"] = "pass", ["A.3"] = "pass" });
    }

    [Fact]
    [Trait("Category", "Reliability")]
    public void Grade_KillsUnboundedAllocation_AtTheMemoryLimit_AndGradesTheRest()
    {
        var (source, work) = Course();
        var hog = "// EXERCISE A.3: parameters\nvar hoard = new List<byte[]>();\nwhile (true) { var chunk = new byte[50_000_000]; Array.Fill(chunk, (byte)1); hoard.Add(chunk); }\nlong ParameterCount() => 0;";
        var submission = Submit(work, "hog", Setup, Usings, SolvedA1, CheckA1, SolvedA2, CheckA2, hog, CheckA3);

        var result = Grade(source, submission, "--memory-mb", "1500");

        Statuses(result).Should().Equal(new Dictionary<string, string> { ["A.1"] = "pass", ["A.2"] = "pass", ["A.3"] = "error" });
        result["tests"]![2]!["message"]!.GetValue<string>().Should().Contain("memory limit of 1500 MB");
    }

    [Fact]
    public void Grade_WritesACsvRoster_ForAFolderOfStudents()
    {
        var (source, work) = Course();
        var roster = Path.Combine(work, "roster");
        Directory.CreateDirectory(roster);
        Submit(roster, "ada", Setup, Usings, SolvedA1, CheckA1, SolvedA2, CheckA2, SolvedA3, CheckA3);
        Submit(roster, "bob", Setup, Usings, StubA1, CheckA1, SolvedA2, CheckA2, StubA3, CheckA3);
        var csv = Path.Combine(work, "grades.csv");

        var (code, output) = CourseProcess.Run(Path.GetTempPath(), TimeSpan.FromMinutes(4), "grade", roster, "--source", source, "--csv", csv, "--out", Path.Combine(work, "results"));

        code.Should().Be(0, output);
        File.ReadAllLines(csv).Should().Equal(
            "student,notebook,status,passed,total,score_percent,ex_A.1,ex_A.2,ex_A.3",
            "ada,appendix.ipynb,pass,3,3,100,1,1,1",
            "bob,appendix.ipynb,fail,1,3,33.3,0,1,0");
        File.Exists(Path.Combine(work, "results", "bob", "appendix.json")).Should().BeTrue();
    }
}

public class GradeSandboxTests
{
    [Fact]
    [Trait("Category", "Reliability")]
    public void Grade_KeepsLearnerWritesInsideTheWorkFolder()
    {
        if (Course.Cli.Notebooks.WriteSandbox.Unavailable is { } why)
        {
            Console.WriteLine($"skipped: {why}");
            return;
        }
        var work = NotebookBuilder.TempFolder();
        var source = Path.Combine(work, "source");
        Directory.CreateDirectory(source);
        File.Copy(Path.Combine(CourseProcess.RepoRoot, "notebooks", "setup.csx"), Path.Combine(source, "setup.csx"));
        const string check = "Check.Exercise(\"A.3\", ParameterCount);";
        const string stub = "// EXERCISE A.3: parameters\nlong ParameterCount()\n{\n    throw new NotImplementedException();\n}";
        NotebookBuilder.Write(source, "appendix.ipynb", "#load \"setup.csx\"", "using LlmFromScratch.Exercises;", stub, check);
        // A folder that exists and that the grader's own user may write to: the repository.
        var target = Path.Combine(CourseProcess.RepoRoot, $"sandbox-probe-{Guid.NewGuid():N}.txt");
        var writer = $"// EXERCISE A.3: parameters\nlong ParameterCount()\n{{\n    System.IO.File.WriteAllText(@\"{target}\", \"x\");\n    return 2213;\n}}";
        var dir = Path.Combine(work, "student");
        Directory.CreateDirectory(dir);
        var submission = NotebookBuilder.Write(dir, "appendix.ipynb", "#load \"setup.csx\"", "using LlmFromScratch.Exercises;", writer, check);
        var json = Path.Combine(work, "result.json");

        var (_, output) = CourseProcess.Run(Path.GetTempPath(), TimeSpan.FromMinutes(3), "grade", submission, "--source", source, "--json", json);

        File.Exists(target).Should().BeFalse("the learner's write outside the work folder must not land");
        File.ReadAllText(json).Should().Contain("\"status\": \"fail\"").And.Contain("Read-only file system", output);
    }
}
