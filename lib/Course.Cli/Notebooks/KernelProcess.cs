using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Course.Cli.Commands;

namespace Course.Cli.Notebooks;

/// <summary>How a kernel process ended.</summary>
/// <param name="Completed">The notebook ran to its end (with or without failing cells).</param>
/// <param name="InterruptedCell">The cell that was running when the process died, timed out or was killed; null if none.</param>
/// <param name="Reason">Why it was interrupted (timeout, exit code, memory), empty when completed.</param>
public sealed record KernelRunResult(bool Completed, CellReport? InterruptedCell, string Reason, int ExitCode);

/// <summary>
/// Starts `course __kernel` for one notebook in its own process (so a hung, crashed or memory-hungry notebook
/// cannot take anything else down), relays its per-cell reports, and enforces a silence backstop and a memory limit.
/// </summary>
public static class KernelProcess
{
    public static async Task<KernelRunResult> RunAsync(string notebook, string outputPath, string workingDirectory,
        TimeSpan cellTimeout, Action<CellReport> onReport, IDictionary<string, string>? environment = null,
        long? memoryLimitBytes = null, bool keepGoing = false, bool confineWrites = false)
    {
        var command = new List<string> { "dotnet", typeof(KernelProcess).Assembly.Location, KernelCommand.Verb, notebook, outputPath,
            ((int)cellTimeout.TotalSeconds).ToString(), keepGoing ? "keep-going" : "stop-on-error" };
        if (confineWrites) command.InsertRange(0, WriteSandbox.Prefix(workingDirectory));
        var psi = new ProcessStartInfo(command[0]) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        if (confineWrites)
        {
            // .NET writes its temporary files (IPC, diagnostics) under TMPDIR and HOME: keep them in the work folder.
            psi.Environment["TMPDIR"] = workingDirectory;
            psi.Environment["HOME"] = workingDirectory;
            psi.Environment["DOTNET_CLI_HOME"] = workingDirectory;
        }

        using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the kernel process");
        var stderr = new StringBuilder();
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        child.BeginErrorReadLine();

        string? killedFor = null;
        using var watchdog = memoryLimitBytes is { } limit ? new Timer(_ =>
        {
            try
            {
                if (!child.HasExited && ProcessTreeMemory.ResidentBytes(child) > limit)
                {
                    killedFor = $"used more than the memory limit of {limit / (1024 * 1024)} MB; process killed";
                    child.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException) { }
        }, null, 200, 200) : null;

        CellReport? current = null;
        var done = false;
        // The kernel process enforces the per-cell timeout itself; if it stops answering, kill it.
        var silence = cellTimeout + TimeSpan.FromSeconds(60);
        while (true)
        {
            var read = child.StandardOutput.ReadLineAsync();
            if (await Task.WhenAny(read, Task.Delay(silence)) != read)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
                return new(false, current, $"no answer from the kernel for {silence.TotalSeconds:0} s; process killed", -1);
            }
            var line = await read;
            if (line is null) break;
            if (!line.StartsWith(CellReport.Prefix)) continue;
            var r = JsonSerializer.Deserialize<CellReport>(line[CellReport.Prefix.Length..])!;
            current = r.Kind == "start" ? r : null;
            done |= r.Kind == "done";
            onReport(r);
            if (r is { Kind: "end", Status: "timeout" }) return await Ended(child, new(false, r, r.Message, 3));
        }
        await child.WaitForExitAsync();
        if (killedFor is not null) return new(false, current, killedFor, child.ExitCode);
        if (current is not null)
        {
            var why = stderr.ToString().Trim();
            return new(false, current, $"the kernel process exited with code {child.ExitCode} while running this cell" +
                (why.Length > 0 ? $": {Tail(why)}" : ""), child.ExitCode);
        }
        return done ? new(true, null, "", child.ExitCode)
            : new(false, null, $"the kernel process failed (exit {child.ExitCode}): {Tail(stderr.ToString().Trim())}", child.ExitCode);
    }

    private static async Task<KernelRunResult> Ended(Process child, KernelRunResult result)
    {
        if (!child.WaitForExit(5000)) child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync();
        return result;
    }

    private static string Tail(string s) => s.Length > 800 ? "…" + s[^800..] : s;
}
