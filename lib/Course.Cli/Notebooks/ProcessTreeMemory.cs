using System.Diagnostics;

namespace Course.Cli.Notebooks;

/// <summary>Resident memory of a process and all its descendants (the kernel may run under a sandbox launcher).</summary>
public static class ProcessTreeMemory
{
    public static long ResidentBytes(Process root)
    {
        if (!OperatingSystem.IsLinux())
        {
            root.Refresh();
            return root.WorkingSet64;
        }
        long total = 0;
        var pending = new Stack<int>([root.Id]);
        var seen = new HashSet<int>();
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            if (!seen.Add(pid)) continue;
            total += Rss(pid);
            foreach (var task in SafeDirectories($"/proc/{pid}/task"))
                foreach (var child in SafeRead(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (int.TryParse(child, out var c)) pending.Push(c);
        }
        return total;
    }

    private static long Rss(int pid)
    {
        var line = SafeRead($"/proc/{pid}/statm").Split(' ');
        return line.Length > 1 && long.TryParse(line[1], out var pages) ? pages * Environment.SystemPageSize : 0;
    }

    private static string SafeRead(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }

    private static string[] SafeDirectories(string path)
    {
        try { return Directory.GetDirectories(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }
}
