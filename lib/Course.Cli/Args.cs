namespace Course.Cli;

/// <summary>Minimal argument reader: flags, options with a value, and the remaining positional arguments.</summary>
public sealed class Args(IEnumerable<string> args)
{
    private readonly List<string> _args = args.ToList();

    public bool Flag(string name) => _args.Remove(name);

    public string? Option(string name)
    {
        var i = _args.IndexOf(name);
        if (i < 0) return null;
        if (i + 1 >= _args.Count) throw new CliException($"{name} needs a value");
        var value = _args[i + 1];
        _args.RemoveRange(i, 2);
        return value;
    }

    public int? IntOption(string name) =>
        Option(name) is { } v ? int.TryParse(v, out var n) && n > 0 ? n : throw new CliException($"{name} needs a positive whole number, got '{v}'") : null;

    /// <summary>What is left; an unknown --option here is an error rather than a file name.</summary>
    public List<string> Rest()
    {
        var unknown = _args.FirstOrDefault(a => a.StartsWith("--"));
        if (unknown is not null) throw new CliException($"unknown option {unknown}");
        return _args.ToList();
    }
}

/// <summary>A usage error: printed as one line, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
