using System.Runtime.InteropServices;

namespace Course.Cli.Bench;

/// <summary>
/// A snapshot of this process's page faults and CPU time (getrusage). Minor faults count pages the kernel had to map
/// and zero because the allocator handed back fresh memory: a large hidden cost when every training step maps its
/// tensors anew. Null where getrusage is not available (not Linux).
/// </summary>
public readonly record struct ResourceUsage(long MinorFaults, long MajorFaults, double UserSeconds, double SystemSeconds)
{
    public static ResourceUsage? Now()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return getrusage(0, out var u) == 0   // RUSAGE_SELF: all threads of this process
                ? new ResourceUsage(u.MinFlt, u.MajFlt, u.UserSec + u.UserUsec / 1e6, u.SysSec + u.SysUsec / 1e6)
                : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    public static ResourceUsage operator -(ResourceUsage a, ResourceUsage b) =>
        new(a.MinorFaults - b.MinorFaults, a.MajorFaults - b.MajorFaults, a.UserSeconds - b.UserSeconds, a.SystemSeconds - b.SystemSeconds);

    /// <summary>Share of the CPU time spent in the kernel (page faults, zeroing, mapping).</summary>
    public double SystemShare => UserSeconds + SystemSeconds > 0 ? SystemSeconds / (UserSeconds + SystemSeconds) : 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSec, UserUsec, SysSec, SysUsec;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVCsw, NIvCsw;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);
}
