using Course.Cli;
using Course.Cli.Commands;

return await Cli.MainAsync(args);

namespace Course.Cli
{
    public static class Cli
    {
        private const string Help = """
            course — run, check and grade the LLM-from-scratch course.

              course run NOTEBOOK|FOLDER… [--quick] [--out DIR] [--cell-timeout S] [--no-build]
                                          execute notebooks headless (one line per cell)
              course doctor               check SDK, libstdc++, libtorch, CUDA and the data cache
              course data list            data sets, where they are cached, and whether they are there
              course data fetch [NAME…]   download data sets (all by default), verified by sha256
              course data seed DIR        copy data files from a local folder into the cache (verified)
              course lint [FOLDER]        check committed notebooks carry no outputs or execution counts
              course grade NOTEBOOK|FOLDER… [--json FILE] [--out DIR] [--csv FILE]
                                          grade submissions (Exercism v3 results, CSV roster)
              course exercises generate   write the learner notebooks (notebooks/) from notebooks/solutions/
              course exercises check      fail if a learner notebook is out of date with its solution
              course bench [--quick] [--json FILE]
                                          performance: matmul ceilings, training tokens/s and MFU (fp32, bf16,
                                          baseline), KV-cache generation, memory growth, allocators
              course export NOTEBOOK… --to cs [--out DIR]
                                          write each notebook as a .NET 10 file-based app (dotnet run file.cs)
              course pretrain [--config tiny|124m] [--epochs N] [--checkpoint FILE [--resume]] …
                                          chapter 5's pretraining run with checkpoints (course pretrain --help)
            """;

        public static async Task<int> MainAsync(string[] argv)
        {
            if (argv.Length == 0 || argv[0] is "help" or "--help" or "-h")
            {
                Console.WriteLine(Help);
                return argv.Length == 0 ? 2 : 0;
            }
            var args = new Args(argv.Skip(1));
            try
            {
                return argv[0] switch
                {
                    "run" => await RunCommand.RunAsync(args),
                    KernelCommand.Verb => await KernelCommand.RunAsync(args),
                    "doctor" => DoctorCommand.Run(args),
                    "data" => DataCommand.Run(args),
                    "lint" => LintCommand.Run(args),
                    "export" => ExportCommand.Run(args),
                    "exercises" => ExercisesCommand.Run(args),
                    "grade" => await GradeCommand.RunAsync(args),
                    "pretrain" => PretrainCommand.Run(args),
                    "bench" => BenchCommand.Run(args),
                    _ => Fail($"unknown command '{argv[0]}'.\n{Help}"),
                };
            }
            catch (CliException e)
            {
                return Fail(e.Message);
            }
        }

        public static int Fail(string message)
        {
            Console.Error.WriteLine($"course: {message}");
            return 2;
        }
    }
}
