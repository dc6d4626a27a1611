using Course.Cli.Notebooks;

namespace Course.Cli.Commands;

/// <summary>The hidden verb `course run` uses to start one notebook's kernel process.</summary>
public static class KernelCommand
{
    public const string Verb = "__kernel";

    public static Task<int> RunAsync(Args args)
    {
        var rest = args.Rest();
        if (rest.Count != 4) return Task.FromResult(Cli.Fail("internal: __kernel NOTEBOOK OUT SECONDS stop-on-error|keep-going"));
        return KernelHost.RunAsync(rest[0], rest[1], TimeSpan.FromSeconds(int.Parse(rest[2])), stopOnError: rest[3] == "stop-on-error");
    }
}
