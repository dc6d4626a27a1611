using Course.Cli.Exercises;

namespace Course.Cli.Commands;

/// <summary>
/// `course exercises generate|check`: learner notebooks in notebooks/ are generated from the solution notebooks in
/// notebooks/solutions/. `check` (CI) fails when a committed learner notebook is not what the generator writes.
/// </summary>
public static class ExercisesCommand
{
    public static int Run(Args args)
    {
        var rest = args.Rest();
        var verb = rest.FirstOrDefault() ?? "check";
        var root = CourseRoot.Find();
        var solutions = Path.Combine(root, "notebooks", "solutions");
        var learners = Path.Combine(root, "notebooks");
        if (!Directory.Exists(solutions)) return Cli.Fail($"no solutions folder at {solutions}");
        var stale = new List<string>();
        foreach (var solution in Directory.GetFiles(solutions, "*.ipynb").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(solution);
            var target = Path.Combine(learners, name);
            var generated = LearnerNotebookGenerator.Generate(File.ReadAllText(solution), $"solutions/{name}");
            var current = File.Exists(target) ? File.ReadAllText(target) : null;
            if (current == generated) continue;
            if (verb == "generate")
            {
                File.WriteAllText(target, generated);
                Console.WriteLine($"wrote notebooks/{name}");
            }
            else
            {
                stale.Add(name);
            }
        }
        if (verb == "generate") return 0;
        if (verb != "check") return Cli.Fail("usage: course exercises generate|check");
        foreach (var s in stale) Console.WriteLine($"notebooks/{s} is out of date with notebooks/solutions/{s}");
        Console.WriteLine(stale.Count == 0
            ? "Learner notebooks match their solutions."
            : "Run `./course exercises generate` and commit the result.");
        return stale.Count == 0 ? 0 : 1;
    }
}
