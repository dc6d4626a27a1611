namespace Course.Cli;

/// <summary>Finds the repository root (the folder holding course.sln).</summary>
public static class CourseRoot
{
    public static string Find(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "course.sln"))) return dir.FullName;
        var here = Path.GetDirectoryName(typeof(CourseRoot).Assembly.Location)!;
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "course.sln"))) return dir.FullName;
        throw new CliException("could not find the course repository (course.sln) above the current folder");
    }
}
