using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LlmFromScratch.Data;
using LlmFromScratch.Model;
using LlmFromScratch.Runtime;
using LlmFromScratch.Text;
using LlmFromScratch.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Course.Cli.Commands;

/// <summary>
/// `course pretrain`: chapter 5's pretraining run from the command line. Trains a <see cref="GptModel"/> on a text
/// file (90/10 split, windows of the context length, a shuffled loader per epoch seeded with seed + epoch), shows a
/// progress bar, writes atomic checkpoints, and resumes from one exactly (bit for bit on the CPU).
/// </summary>
public static class PretrainCommand
{
    public const string Usage =
        "course pretrain [--text FILE] [--config tiny|124m] [--context N] [--epochs N] [--batch N] [--lr X] [--seed N]\n" +
        "                [--eval-freq N] [--eval-iter N] [--checkpoint FILE] [--checkpoint-every N] [--resume]\n" +
        "                [--losses-json FILE] [--no-sample]";

    private const double WeightDecay = 0.1;
    private const double TrainRatio = 0.9;
    private const string StartContext = "Every effort moves you";

    public static int Run(Args args)
    {
        if (args.Flag("--help") || args.Flag("-h"))
        {
            Console.WriteLine($"usage: {Usage}\n\nDefaults: the-verdict from the data cache, --config tiny, --epochs 10, --batch 2, --lr 4e-4, --seed 123,\n" +
                              "--eval-freq 5, --eval-iter 5; --checkpoint-every 0 checkpoints only at epoch ends (and on Ctrl+C).");
            return 0;
        }
        var textPath = args.Option("--text");
        var configName = args.Option("--config") ?? "tiny";
        var context = args.IntOption("--context");
        var epochs = args.IntOption("--epochs") ?? 10;
        var batch = args.IntOption("--batch") ?? 2;
        var lr = DoubleOption(args, "--lr") ?? 4e-4;
        var seed = SeedOption(args) ?? 123;
        var evalFreq = args.IntOption("--eval-freq") ?? 5;
        var evalIter = args.IntOption("--eval-iter") ?? 5;
        var checkpoint = args.Option("--checkpoint") is { } c ? Path.GetFullPath(c) : null;
        var checkpointEvery = args.IntOption("--checkpoint-every") ?? 0;
        var resume = args.Flag("--resume");
        var lossesJson = args.Option("--losses-json");
        var noSample = args.Flag("--no-sample");
        if (args.Rest() is { Count: > 0 } extra) return Cli.Fail($"unexpected argument '{extra[0]}'.\nusage: {Usage}");

        var preset = configName.ToLowerInvariant() switch
        {
            "tiny" => GptConfig.Tiny,
            "124m" => GptConfig.Gpt124M with { ContextLength = 256 },   // chapter 5 shortens GPT-2's context to 256
            _ => null,
        };
        if (preset is null) return Cli.Fail($"--config must be tiny or 124m, got '{configName}'");
        if (resume && checkpoint is null) return Cli.Fail("--resume needs --checkpoint FILE (the checkpoint to continue from)");
        if (checkpointEvery > 0 && checkpoint is null) return Cli.Fail("--checkpoint-every needs --checkpoint FILE");
        if (resume && !File.Exists(checkpoint)) return Cli.Fail($"--resume: there is no checkpoint at {checkpoint}; run without --resume to start a new run");
        if (!resume && checkpoint is not null && File.Exists(checkpoint))
            return Cli.Fail($"{checkpoint} already exists: pass --resume to continue that run, or delete the file to start over");

        GptConfig config;
        try
        {
            config = (preset with { ContextLength = context ?? preset.ContextLength }).Validate();
        }
        catch (ArgumentException e)
        {
            return Cli.Fail(e.Message);
        }

        string text;
        try
        {
            textPath ??= DataSets.Ensure("the-verdict");
            text = File.ReadAllText(textPath);
        }
        catch (Exception e) when (e is DataSetUnavailableException or IOException or UnauthorizedAccessException)
        {
            return Cli.Fail(e.Message);
        }

        var tokenizer = new Gpt2Tokenizer();
        var split = (int)(TrainRatio * text.Length);
        GptDatasetV1 trainData, valData;
        Func<int, DataLoader<(Tensor Input, Tensor Target)>> trainLoader;
        DataLoader<(Tensor Input, Tensor Target)> valLoader;
        try
        {
            trainData = new GptDatasetV1(text[..split], tokenizer, config.ContextLength, config.ContextLength);
            valData = new GptDatasetV1(text[split..], tokenizer, config.ContextLength, config.ContextLength);
            // A fresh loader per epoch, seeded from the epoch: the order depends only on (seed, epoch), so a resumed run rebuilds it.
            trainLoader = epoch => DataLoader.Create(trainData, batch, shuffle: true, dropLast: true, seed: seed + epoch);
            _ = trainLoader(0);
            valLoader = DataLoader.Create(valData, batch, shuffle: false, dropLast: false);
        }
        catch (ArgumentException e)
        {
            return Cli.Fail($"{textPath} is too short for --context {config.ContextLength} and --batch {batch}: {e.Message}");
        }

        var device = CourseEnvironment.Device;
        var stepsPerEpoch = trainLoader(0).Count;
        Console.WriteLine($"pretraining GptModel ({configName}: context {config.ContextLength}, emb {config.EmbDim}, {config.NLayers} layers) on {textPath}");
        Console.WriteLine($"  {stepsPerEpoch} training batches of {batch} per epoch, {valLoader.Count} validation batch(es), {epochs} epochs, " +
                          $"AdamW lr {lr.ToString(CultureInfo.InvariantCulture)}, seed {seed}, device {device.type}");

        CleanUpHalfWrittenCheckpoints(checkpoint);
        Seed.Set(seed);
        using var model = new GptModel(config).to(device);
        using var optimizer = optim.AdamW(model.parameters(), lr: lr, weight_decay: WeightDecay);
        var settings = new TrainerSettings
        {
            NumEpochs = epochs,
            EvalFreq = evalFreq,
            EvalIter = evalIter,
            CheckpointPath = checkpoint,
            CheckpointEvery = checkpointEvery,
            Sampler = noSample ? null : m => Sample((GptModel)m, tokenizer, device),
        };
        var trainer = new Trainer(model, optimizer, epoch => trainLoader(epoch), valLoader, settings);
        var totalSteps = (long)stepsPerEpoch * epochs;
        if (resume)
        {
            try
            {
                trainer.LoadCheckpoint(checkpoint!);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException)
            {
                Console.Error.WriteLine($"course: cannot resume from {checkpoint}: {e.Message}");
                return 1;
            }
            Console.WriteLine($"resumed from {checkpoint}: epoch {trainer.Position.Epoch + 1}, step {trainer.Position.GlobalStep + 1} of {totalSteps}, " +
                              $"{trainer.Position.TokensSeen:N0} tokens seen");
        }

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;   // stop at the next step boundary and checkpoint instead of dying mid-step
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var tokensAtStart = trainer.Position.TokensSeen;
        var clock = Stopwatch.StartNew();
        TrainingHistory history;
        try
        {
            history = AnsiConsole.Profile.Capabilities.Interactive
                ? TrainWithProgressBar(trainer, totalSteps, cancel.Token)
                : TrainWithLogLines(trainer, stepsPerEpoch, cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        clock.Stop();

        if (!trainer.IsComplete)
        {
            Console.WriteLine($"stopped after step {trainer.Position.GlobalStep + 1} of {totalSteps}" +
                              (checkpoint is null ? "; no --checkpoint was given, so nothing was saved" : $"; continue with --checkpoint {checkpoint} --resume"));
            return 130;
        }
        if (lossesJson is not null) WriteLosses(lossesJson, history);
        var tokensPerSecond = (trainer.Position.TokensSeen - tokensAtStart) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        Console.WriteLine($"done: {trainer.Position.GlobalStep + 1} steps, training loss {Last(history.TrainLosses)}, validation loss {Last(history.ValLosses)}; " +
                          $"this process: {clock.Elapsed.TotalSeconds:F1} s, {tokensPerSecond:F0} tokens/s");
        return 0;
    }

    private static TrainingHistory TrainWithProgressBar(Trainer trainer, long totalSteps, CancellationToken cancel)
    {
        TrainingHistory? history = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: totalSteps);
                task.Value = trainer.Position.GlobalStep + 1;
                trainer.Progress += (_, p) =>
                {
                    task.Value = p.GlobalStep + 1;
                    task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {Math.Min(p.Epoch + 1, p.NumEpochs)}/{p.NumEpochs}  train {Loss(p.TrainLoss)}  val {Loss(p.ValLoss)}  {p.TokensPerSecond:N0} tok/s"));
                    if (p.Kind == TrainingProgressKind.Evaluation) AnsiConsole.WriteLine(TrainingProgressDisplay.FormatEvaluation(p));
                    if (p.Kind == TrainingProgressKind.EpochEnd && p.Sample is { } s) AnsiConsole.WriteLine(s.Replace('\n', ' '));
                };
                history = trainer.Train(cancel);
            });
        return history!;
    }

    private static TrainingHistory TrainWithLogLines(Trainer trainer, int stepsPerEpoch, CancellationToken cancel)
    {
        var display = new TrainingProgressDisplay(_ => { }, Console.Out, stepsPerEpoch);
        trainer.Progress += display.Report;
        trainer.Progress += (_, p) =>
        {
            if (p.Kind == TrainingProgressKind.CheckpointSaved) Console.WriteLine($"checkpoint after step {p.GlobalStep + 1}: {p.CheckpointPath}");
        };
        var history = trainer.Train(cancel);
        display.Complete();
        return history;
    }

    private static string Sample(GptModel model, Gpt2Tokenizer tokenizer, Device device)
    {
        using var prompt = tensor(tokenizer.Encode(StartContext).Select(id => (long)id).ToArray(), device: device).unsqueeze(0);
        using var ids = LlmFromScratch.Generation.GenerateTextSimple.Generate(model, prompt, maxNewTokens: 25,
            contextSize: model.Config.ContextLength, useKvCache: true);
        return tokenizer.Decode(ids[0].cpu().data<long>().Select(id => (int)id));
    }

    /// <summary>
    /// A process killed while saving leaves its temporary file (<c>FILE.GUID.tmp</c>) beside the checkpoint; it is never
    /// read (the checkpoint under the real name is only ever replaced by a rename), so it is removed here.
    /// </summary>
    private static void CleanUpHalfWrittenCheckpoints(string? checkpoint)
    {
        if (checkpoint is null || Path.GetDirectoryName(checkpoint) is not { } folder || !Directory.Exists(folder)) return;
        foreach (var stale in Directory.GetFiles(folder, Path.GetFileName(checkpoint) + ".*.tmp"))
        {
            File.Delete(stale);
            Console.WriteLine($"removed {Path.GetFileName(stale)}, a checkpoint whose writing was interrupted (never loaded)");
        }
    }

    /// <summary>One JSON line: every step's loss plus the evaluations; written atomically.</summary>
    private static void WriteLosses(string path, TrainingHistory history)
    {
        var json = JsonSerializer.Serialize(new
        {
            stepLosses = history.StepLosses,
            evalSteps = history.EvalSteps,
            trainLosses = history.TrainLosses,
            valLosses = history.ValLosses,
            tokensSeen = history.TokensSeen,
        });
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, json + "\n");
        File.Move(temporary, full, overwrite: true);
        Console.WriteLine($"losses of {history.StepLosses.Count} steps written to {path}");
    }

    private static double? DoubleOption(Args args, string name) =>
        args.Option(name) is { } v
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && double.IsFinite(x)
                ? x
                : throw new CliException($"{name} needs a positive number, got '{v}'")
            : null;

    private static int? SeedOption(Args args) =>
        args.Option("--seed") is { } v
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s >= 0
                ? s
                : throw new CliException($"--seed needs a whole number ≥ 0, got '{v}'")
            : null;

    private static string Loss(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";

    private static string Last(IReadOnlyList<double> values) => values.Count > 0 ? Loss(values[^1]) : "-";
}
