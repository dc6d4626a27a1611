namespace Course.Cli.Notebooks;

/// <summary>
/// Confines a graded notebook's writes to its work folder with bubblewrap (`bwrap`): the whole file system (/tmp too,
/// since the course itself may live there) is
/// mounted read-only except that folder, /dev and /proc, and the network is cut off. Where bwrap is missing or
/// user namespaces are disabled, grading still runs, unconfined, and says so.
/// </summary>
public static class WriteSandbox
{
    private static readonly Lazy<string?> _bwrap = new(Find);

    /// <summary>Why writes cannot be confined here, or null when they can.</summary>
    public static string? Unavailable => _bwrap.Value is null
        ? "bubblewrap (bwrap) is not installed or cannot create namespaces here, so learner code could write outside its folder (apt-get install bubblewrap)"
        : null;

    public static IEnumerable<string> Prefix(string writable) => _bwrap.Value is { } bwrap
        ? [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", writable, writable,
           "--unshare-net", "--die-with-parent", "--"]
        : [];

    private static string? Find()
    {
        var bwrap = new[] { "/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap" }.FirstOrDefault(File.Exists);
        if (bwrap is null || !OperatingSystem.IsLinux()) return null;
        try
        {
            using var probe = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(bwrap,
                ["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-net", "--", "true"]) { RedirectStandardError = true });
            probe!.WaitForExit(10_000);
            return probe.ExitCode == 0 ? bwrap : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
