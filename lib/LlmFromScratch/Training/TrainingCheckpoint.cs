using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LlmFromScratch.Training;

/// <summary>
/// Everything a run needs to resume exactly, in one file: model weights and buffers, optimizer state (AdamW's moments
/// and step counts, learning rates), the <see cref="TrainingPosition"/>, the <see cref="TrainingHistory"/>, and the CPU
/// random generator's state (dropout draws from it). The chapter 5 counterpart of the book's
/// <c>torch.save({"model_state_dict": …, "optimizer_state_dict": …}, "model_and_optimizer.pth")</c>.
/// </summary>
/// <remarks>
/// <para>Files are written to a temporary file in the same folder and renamed into place, so a crash while saving
/// leaves the previous checkpoint untouched. A header carries the body's length and SHA-256; <see cref="Load"/>
/// checks both before touching the model, so a truncated or damaged file is rejected with
/// <see cref="InvalidDataException"/> instead of half-loading.</para>
/// <para>The format is this course's own (TorchSharp's tensor encoding inside); PyTorch cannot read it.
/// On CUDA the GPU's generator state is not saved (TorchSharp 0.107 does not expose it), so resumed CUDA runs
/// continue with different dropout masks; CPU runs resume bit for bit.</para>
/// </remarks>
public static class TrainingCheckpoint
{
    private static readonly byte[] Magic = "LLMFSCKP"u8.ToArray();
    private const int FormatVersion = 1;
    private const int HeaderLength = 8 + 4 + 8 + 32;                  // magic, version, body length, SHA-256

    /// <summary>Writes a checkpoint atomically to <paramref name="path"/>, replacing any file there.</summary>
    /// <param name="path">Destination file; its folder is created if missing.</param>
    /// <param name="model">The model being trained (any device).</param>
    /// <param name="optimizer">Its optimizer (any TorchSharp managed optimizer, e.g. AdamW).</param>
    /// <param name="position">Where the run stands.</param>
    /// <param name="history">What the run recorded so far.</param>
    public static void Save(string path, nn.Module model, OptimizerHelper optimizer, TrainingPosition position, TrainingHistory history)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(history);

        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var temporary = $"{fullPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                stream.Write(new byte[HeaderLength]);                  // filled in once the body's hash is known
                using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
                {
                    WriteBody(writer, model, optimizer, position, history);
                }
                var bodyLength = stream.Length - HeaderLength;
                stream.Position = HeaderLength;
                var hash = SHA256.HashData(stream);
                stream.Position = 0;
                using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write(Magic);
                    writer.Write(FormatVersion);
                    writer.Write(bodyLength);
                    writer.Write(hash);
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Reads a checkpoint into <paramref name="model"/> and <paramref name="optimizer"/> (built the same way as the
    /// ones that were saved, on any device) and restores the CPU random generator.
    /// </summary>
    /// <returns>The saved position and history.</returns>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, is truncated, or fails its checksum; nothing was loaded.</exception>
    /// <exception cref="ArgumentException">The model's parameters differ from the saved ones (names, shapes or types); the model may be partly overwritten.</exception>
    public static (TrainingPosition Position, TrainingHistory History) Load(string path, nn.Module model, OptimizerHelper optimizer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint at '{path}'", path);

        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        Verify(path, stream, reader);
        stream.Position = HeaderLength;
        return ReadBody(path, reader, model, optimizer);
    }

    private static void WriteBody(BinaryWriter writer, nn.Module model, OptimizerHelper optimizer, TrainingPosition position, TrainingHistory history)
    {
        writer.Write(position.Epoch);
        writer.Write(position.BatchesDoneInEpoch);
        writer.Write(position.GlobalStep);
        writer.Write(position.TokensSeen);
        history.Write(writer);
        using (var rngState = get_rng_state()) rngState.Save(writer);
        var state = model.state_dict();
        writer.Write(state.Count);
        foreach (var (name, tensor) in state)
        {
            writer.Write(name);
            tensor.Save(writer);
        }
        optimizer.save_state_dict(writer);
    }

    private static void Verify(string path, FileStream stream, BinaryReader reader)
    {
        if (stream.Length < HeaderLength)
            throw new InvalidDataException(
                $"checkpoint '{path}' is {stream.Length} bytes, shorter than its {HeaderLength}-byte header: it is incomplete (cut off while being written or copied)");
        if (!reader.ReadBytes(Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not a training checkpoint written by LlmFromScratch (wrong magic bytes)");
        var version = reader.ReadInt32();
        if (version != FormatVersion)
            throw new InvalidDataException($"checkpoint '{path}' has format version {version}; this library reads version {FormatVersion}");
        var bodyLength = reader.ReadInt64();
        var expectedHash = reader.ReadBytes(32);
        var actualBody = stream.Length - HeaderLength;
        if (actualBody != bodyLength)
            throw new InvalidDataException(
                $"checkpoint '{path}' is incomplete: its header promises {bodyLength} bytes of data but the file holds {actualBody} (truncated while being written or copied)");
        if (!SHA256.HashData(stream).SequenceEqual(expectedHash))
            throw new InvalidDataException($"checkpoint '{path}' is corrupt: its SHA-256 does not match the one recorded when it was written");
    }

    private static (TrainingPosition, TrainingHistory) ReadBody(string path, BinaryReader reader, nn.Module model, OptimizerHelper optimizer)
    {
        var position = new TrainingPosition(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadInt64());
        var history = TrainingHistory.Read(reader);
        using var rngState = TensorExtensionMethods.Load(reader);

        var state = model.state_dict();
        var count = reader.ReadInt32();
        if (count != state.Count)
            throw new ArgumentException(
                $"checkpoint '{path}' holds {count} model tensors but the model has {state.Count}; load it into a model built with the same configuration",
                nameof(model));
        using (no_grad())
        {
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                using var saved = TensorExtensionMethods.Load(reader);
                if (!state.TryGetValue(name, out var target))
                    throw new ArgumentException($"checkpoint '{path}' has tensor '{name}', which the model does not have", nameof(model));
                if (!saved.shape.SequenceEqual(target.shape) || saved.dtype != target.dtype)
                    throw new ArgumentException(
                        $"tensor '{name}': checkpoint has {saved.dtype} ({string.Join(", ", saved.shape)}), model has {target.dtype} ({string.Join(", ", target.shape)})",
                        nameof(model));
                target.copy_(saved);
            }
        }
        optimizer.load_state_dict(reader);
        set_rng_state(rngState);
        return (position, history);
    }
}
