using LlmFromScratch.Data;
using Spectre.Console;

namespace Course.Cli.Commands;

/// <summary>`course data list|fetch|seed`: the data cache, from the manifest in data/datasets.json.</summary>
public static class DataCommand
{
    public static int Run(Args args)
    {
        var rest = args.Rest();
        var verb = rest.FirstOrDefault() ?? "list";
        var names = rest.Skip(1).ToList();
        return verb switch
        {
            "list" => List(),
            "fetch" => Fetch(names),
            "seed" when names.Count == 1 => Seed(names[0]),
            "seed" => Cli.Fail("usage: course data seed DIR"),
            _ => Cli.Fail($"unknown data command '{verb}' (list, fetch, seed)"),
        };
    }

    private static int List()
    {
        Console.WriteLine($"Data cache: {DataSets.CacheDirectory}  (set COURSE_DATA_DIR to move it)");
        var table = new Table().AddColumns("name", "size", "cached", "file");
        foreach (var d in DataManifest.All)
            table.AddRow(d.Name, $"{d.Size:N0}", DataSets.IsCached(d) ? "[green]yes[/]" : "[yellow]no[/]", Markup.Escape(d.File));
        AnsiConsole.Write(table);
        return 0;
    }

    private static int Fetch(List<string> names)
    {
        var wanted = names.Count == 0 ? DataManifest.All : names.Select(DataManifest.Get).ToList();
        var failed = 0;
        foreach (var d in wanted)
        {
            try
            {
                var path = DataSets.Ensure(d, new Progress<DownloadProgress>(p =>
                    Console.Write($"\r  {p.File}: {p.Received / 1024.0 / 1024:0.0}{(p.Total is { } t ? $" / {t / 1024.0 / 1024:0.0}" : "")} MB   ")));
                Console.WriteLine($"\r  {d.Name}: ok ({path})                    ");
            }
            catch (DataSetUnavailableException e)
            {
                failed++;
                Console.WriteLine($"\r  {d.Name}: MISSING\n    {e.Message.Replace("\n", "\n    ")}");
            }
        }
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Copies files that match the manifest (by sha256) from a local folder into the cache.</summary>
    private static int Seed(string folder)
    {
        if (!Directory.Exists(folder)) return Cli.Fail($"no such folder: {folder}");
        var copied = 0;
        foreach (var d in DataManifest.All)
        {
            var source = Path.Combine(folder, d.File);
            if (!File.Exists(source) || DataSets.IsCached(d)) continue;
            if (FileHash.Compute(source) != (d.Size, d.Sha256))
            {
                Console.WriteLine($"  skipped {source}: its size or sha256 differs from the manifest");
                continue;
            }
            var target = DataSets.PathOf(d);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target + ".part", overwrite: true);
            File.Move(target + ".part", target, overwrite: true);
            copied++;
        }
        Console.WriteLine($"Seeded {copied} file(s) into {DataSets.CacheDirectory}");
        return 0;
    }
}
