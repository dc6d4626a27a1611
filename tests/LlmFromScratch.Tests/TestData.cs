using LlmFromScratch.Data;

namespace LlmFromScratch.Tests;

/// <summary>
/// Real data files for tests come from the course's data cache. `.ci/run` and `./course` seed it from
/// ../shared/data when that folder exists; on a learner's machine `course data fetch` fills it.
/// </summary>
public static class TestData
{
    public static string Path(string name) => DataSets.Ensure(name);

    public static string Text(string name) => File.ReadAllText(Path(name));
}
