namespace Course.Cli.Tests;

public class DoctorCommandTests
{
    [Fact]
    public void Doctor_ExitsZero_AndReportsEveryCheck_OnAMachineThatRunsTheCourse()
    {
        var (code, output) = CourseProcess.Run(Path.GetTempPath(), TimeSpan.FromMinutes(2), "doctor");

        code.Should().Be(0, output);
        output.Should().Contain("SDK").And.Contain("libstdc++").And.Contain("system libtorch")
            .And.Contain("libtorch: loads and computes").And.Contain("CUDA").And.Contain("data cache");
    }
}
