using System.Text.Json.Nodes;

namespace Course.Cli.Tests;

public class BenchCommandTests
{
    /// <summary>The keys issue 7 promises in the JSON file: numbers, or null where a figure could not be measured.</summary>
    private static readonly string[] RequiredNumbers =
    [
        "fp32_gflops", "bf16_gflops", "train_fp32_tokens_per_s", "train_bf16_tokens_per_s", "mfu_fp32",
        "baseline_tokens_per_s", "gen_kv_tokens_per_s", "gen_nokv_tokens_per_s", "rss_growth_mb",
    ];

    [Fact]
    public void BenchQuick_PrintsATable_AndWritesEveryPromisedKeyAsANumberOrNullWithAReason()
    {
        var folder = Directory.CreateTempSubdirectory("course-bench-").FullName;
        try
        {
            var json = Path.Combine(folder, "bench.json");

            // Speeds are not checked (the machine is shared); the generous limit covers a busy CI runner.
            var (code, output) = CourseProcess.Run(folder, TimeSpan.FromMinutes(15), "bench", "--quick", "--json", json);

            code.Should().Be(0, output);
            output.Should().Contain("Matmul ceilings").And.Contain("Training").And.Contain("Generation")
                .And.Contain("Memory").And.Contain("Environment settings").And.Contain("tok/s");
            var root = JsonNode.Parse(File.ReadAllText(json))!.AsObject();
            var reasons = root["reasons"]?.AsObject();
            foreach (var key in RequiredNumbers)
            {
                root.ContainsKey(key).Should().BeTrue($"the JSON must have '{key}'");
                var value = root[key];
                if (value is null)
                    reasons?[key]?.GetValue<string>().Should().NotBeNullOrWhiteSpace($"a null '{key}' needs its reason");
                else
                    value.GetValueKind().Should().Be(System.Text.Json.JsonValueKind.Number, key);
            }
            root["mode"]!.GetValue<string>().Should().Be("quick");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Bench_RejectsAnUnknownOption()
    {
        var (code, output) = CourseProcess.Run(Path.GetTempPath(), TimeSpan.FromMinutes(2), "bench", "--fast");

        code.Should().Be(2);
        output.Should().Contain("unknown option --fast");
    }
}
