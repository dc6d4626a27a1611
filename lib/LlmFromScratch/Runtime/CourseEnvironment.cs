using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Runtime;

/// <summary>
/// Where the course runs: which device, whether quick mode is on. Read once; modules never read it
/// themselves (they receive a device or a config), so tests can build anything anywhere.
/// </summary>
public static class CourseEnvironment
{
    /// <summary>True when <c>COURSE_QUICK=1</c> (set by <c>course run --quick</c>): notebooks use tiny configs.</summary>
    public static bool IsQuick => Environment.GetEnvironmentVariable("COURSE_QUICK") is "1" or "true";

    /// <summary>
    /// CUDA when libtorch sees a GPU, else CPU. <c>COURSE_DEVICE=cpu</c> forces the CPU even on a GPU machine.
    /// </summary>
    public static Device Device => _device ??= ChooseDevice();
    private static Device? _device;

    private static Device ChooseDevice()
    {
        var wanted = Environment.GetEnvironmentVariable("COURSE_DEVICE");
        if (string.Equals(wanted, "cpu", StringComparison.OrdinalIgnoreCase)) return CPU;
        return cuda.is_available() ? CUDA : CPU;
    }

    /// <summary>One line for the top of every notebook: device, threads, versions, mode.</summary>
    public static string Describe()
    {
        var device = Device.type == DeviceType.CUDA ? $"CUDA ({cuda.device_count()} GPU)" : "CPU";
        var mode = IsQuick ? "quick mode (tiny configs, COURSE_QUICK=1)" : "full mode (the book's configs)";
        return $"device: {device}, threads: {get_num_threads()}, TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}, " +
               $"libtorch {__version__}; {mode}";
    }
}
