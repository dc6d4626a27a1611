using System.Diagnostics;

namespace Course.Cli.Tests;

/// <summary>Runs the built `course` command as a learner would, capturing its output.</summary>
public static class CourseProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "course.dll");

    public static string RepoRoot => CourseRoot.Find(AppContext.BaseDirectory);

    public static (int ExitCode, string Output) Run(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["COURSE_ROOT"] = RepoRoot;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"course {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
