using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Course.Cli.Tests;

/// <summary>
/// `course pretrain` as a learner runs it: a real child process, killed with SIGKILL mid-run and resumed. Tiny model,
/// 16-token context and a short generated text, so each run is a few dozen steps on the CPU.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class PretrainCommandTests : IDisposable
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(4);
    private readonly string _dir = Directory.CreateTempSubdirectory("pretrain-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes a generated text of <paramref name="words"/> words (fixed seed), so the test needs no data cache.</summary>
    private string Text(int words)
    {
        string[] vocabulary = ["the", "painter", "picture", "gallery", "his", "wife", "studio", "light", "canvas", "morning", "quiet",
                               "sudden", "old", "house", "window", "room", "chair", "story", "verdict", "fame", "money", "art", "and", "was"];
        var random = new Random(5);
        var text = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            text.Append(vocabulary[random.Next(vocabulary.Length)]);
            text.Append(random.Next(10) == 0 ? ". " : " ");
        }
        var path = Path.Combine(_dir, $"text-{words}.txt");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string[] Arguments(string text, params string[] more) =>
        ["pretrain", "--text", text, "--config", "tiny", "--context", "16", "--batch", "8",
         "--eval-freq", "4", "--eval-iter", "1", "--no-sample", .. more, .. more.Contains("--epochs") ? Array.Empty<string>() : ["--epochs", "2"]];

    [Fact]
    public void KilledRun_ResumesFromItsLastCheckpoint_WithTheLossesOfAnUninterruptedRun()
    {
        var text = Text(words: 700);
        var uninterrupted = Path.Combine(_dir, "uninterrupted.json");
        var resumed = Path.Combine(_dir, "resumed.json");
        var checkpoint = Path.Combine(_dir, "run.ckpt");

        var (code, output) = CourseProcess.Run(_dir, RunLimit, Arguments(text, "--losses-json", uninterrupted));
        code.Should().Be(0, output);
        var total = int.Parse(Regex.Match(output, @"done: (\d+) steps").Groups[1].Value);

        using (var run = Start(Arguments(text, "--checkpoint", checkpoint, "--checkpoint-every", "4")))
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && !run.HasExited && clock.Elapsed < RunLimit) Thread.Sleep(10);
            File.Exists(checkpoint).Should().BeTrue("the run writes a checkpoint every 4 steps");
            run.HasExited.Should().BeFalse("the run must still be training when it is killed");
            run.Kill();                                                        // SIGKILL: no chance to clean up
            run.WaitForExit();
        }
        // What a kill during a later save would leave: a temporary file beside the checkpoint, never to be loaded.
        File.WriteAllBytes($"{checkpoint}.{Guid.NewGuid():N}.tmp", new byte[1000]);

        var (resumedCode, resumedOutput) = CourseProcess.Run(_dir, RunLimit,
            Arguments(text, "--checkpoint", checkpoint, "--checkpoint-every", "4", "--resume", "--losses-json", resumed));

        resumedCode.Should().Be(0, resumedOutput);
        var resumedAt = Regex.Match(resumedOutput, @"resumed from .*: epoch \d+, step (\d+) of (\d+)");
        resumedAt.Success.Should().BeTrue(resumedOutput);
        int.Parse(resumedAt.Groups[2].Value).Should().Be(total);
        int.Parse(resumedAt.Groups[1].Value).Should().BeInRange(4, total - 1, "the killed run had checkpointed but not finished");
        resumedOutput.Should().Contain("a checkpoint whose writing was interrupted (never loaded)");
        Directory.GetFiles(_dir, "*.tmp").Should().BeEmpty();
        var expected = Losses(uninterrupted);
        expected.StepLosses.Should().HaveCount(total);
        var actual = Losses(resumed);
        actual.StepLosses.Should().Equal(expected.StepLosses, "resuming on the CPU is exact, bit for bit");
        actual.TrainLosses.Should().Equal(expected.TrainLosses);
        actual.ValLosses.Should().Equal(expected.ValLosses);
        actual.TokensSeen.Should().Equal(expected.TokensSeen);
    }

    [Fact]
    public void Resume_FromATruncatedCheckpoint_FailsWithAClearMessage_AndTrainsNothing()
    {
        var text = Text(words: 300);
        var checkpoint = Path.Combine(_dir, "short.ckpt");
        var (code, output) = CourseProcess.Run(_dir, RunLimit, Arguments(text, "--epochs", "1", "--checkpoint", checkpoint));
        code.Should().Be(0, output);
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length / 2)]);             // a copy cut off halfway
        var losses = Path.Combine(_dir, "losses.json");

        var (resumedCode, resumedOutput) = CourseProcess.Run(_dir, RunLimit,
            Arguments(text, "--epochs", "1", "--checkpoint", checkpoint, "--resume", "--losses-json", losses));

        resumedCode.Should().Be(1, resumedOutput);
        resumedOutput.Should().Contain($"cannot resume from {checkpoint}").And.Contain("is incomplete").And.Contain("truncated");
        resumedOutput.Should().NotContain("Ep 1 (Step");
        File.Exists(losses).Should().BeFalse();
    }

    [Fact]
    public void Pretrain_RefusesToOverwriteACheckpoint_OrToResumeFromNothing()
    {
        var text = Path.Combine(_dir, "unused.txt");
        var existing = Path.Combine(_dir, "existing.ckpt");
        File.WriteAllText(existing, "a previous run");

        var (overwriteCode, overwrite) = CourseProcess.Run(_dir, RunLimit, Arguments(text, "--checkpoint", existing));
        var (missingCode, missing) = CourseProcess.Run(_dir, RunLimit, Arguments(text, "--checkpoint", Path.Combine(_dir, "none.ckpt"), "--resume"));

        overwriteCode.Should().Be(2);
        overwrite.Should().Contain("already exists: pass --resume to continue that run");
        File.ReadAllText(existing).Should().Be("a previous run");
        missingCode.Should().Be(2);
        missing.Should().Contain("there is no checkpoint at").And.Contain("none.ckpt");
    }

    private static Process Start(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(CourseProcess.Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };   // drained so a full pipe never blocks the child
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private sealed record LossRecord(double[] StepLosses, double[] TrainLosses, double[] ValLosses, long[] TokensSeen);

    private static LossRecord Losses(string path) =>
        JsonSerializer.Deserialize<LossRecord>(File.ReadAllText(path), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
}
