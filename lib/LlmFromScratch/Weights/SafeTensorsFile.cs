using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace LlmFromScratch.Weights;

/// <summary>
/// Reads and writes the safetensors format (the layout Hugging Face publishes weights in): an 8-byte
/// little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}</c>,
/// then the data buffer, which the tensors cover exactly, back to back.
/// </summary>
/// <remarks>
/// A downloaded file is untrusted input, so <see cref="Open"/> validates the whole header against the file's
/// real length before anything is allocated, and any problem becomes an <see cref="InvalidWeightsFileException"/>.
/// Tensors are then read one at a time straight from disk into their own memory; the file is never loaded whole.
/// </remarks>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>The largest header accepted (the reference implementation's limit), so a lying length cannot make us allocate gigabytes.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The most dimensions a tensor may have; real weights have one to four.</summary>
    public const int MaxRank = 64;

    private const string MetadataKey = "__metadata__";
    private const int ChunkBytes = 1 << 30; // spans are int-sized; tensors past 1 GiB are read and written in slices

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsFile(string path, SafeFileHandle handle, long dataStart, List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _handle = handle;
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file's path, as given to <see cref="Open"/>.</summary>
    public string Path { get; }

    /// <summary>Every tensor in the file, in the order of their data.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> strings (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Absolute file offset of the data buffer: 8 + header length.</summary>
    public long DataStart { get; }

    /// <summary>True when the file holds a tensor with this name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of one tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name; the message lists a few that exist.</exception>
    public SafeTensorInfo this[string name] => _byName.TryGetValue(name, out var info)
        ? info
        : throw new KeyNotFoundException(
            $"'{Path}' has no tensor named '{name}'. It has {Tensors.Count}: " +
            string.Join(", ", Tensors.Take(8).Select(t => t.Name)) + (Tensors.Count > 8 ? ", …" : "") + ".");

    /// <summary>Opens a file and validates its header against its length. Only the header is read.</summary>
    /// <exception cref="InvalidWeightsFileException">The file is not a valid safetensors file.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var (dataStart, tensors, metadata) = ReadHeader(path, handle);
            return new SafeTensorsFile(path, handle, dataStart, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor of a file into a new dictionary (keys in data order).</summary>
    /// <exception cref="InvalidWeightsFileException">The file is not a valid safetensors file.</exception>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var file = Open(path);
        return file.ReadAll();
    }

    /// <summary>Reads one tensor into a new CPU tensor of the file's dtype and shape, reading only its bytes.</summary>
    /// <exception cref="InvalidWeightsFileException">Its dtype has no TorchSharp type, or the file got shorter since it was opened.</exception>
    public Tensor ReadTensor(string name)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var info = this[name];
        var type = SafeTensorsDType.ToScalarType(info.DType) ?? throw new InvalidWeightsFileException(Path,
            $"tensor '{name}' has dtype {info.DType}, which TorchSharp has no type for (readable: {SafeTensorsDType.SupportedNames}).", name);
        var tensor = empty(info.Shape.ToArray(), type);
        try
        {
            ForEachChunk(tensor, (span, offset) => ReadExactly(span, DataStart + info.Begin + offset, name));
            if (type == ScalarType.Bool) CheckBooleans(tensor, name);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor (keys in data order).</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in Tensors) result.Add(info.Name, ReadTensor(info.Name));
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// Writes tensors to <paramref name="path"/> atomically: into a temporary file in the same folder, flushed
    /// to disk, then renamed over the destination, so a crash never leaves a half-written file under the name.
    /// </summary>
    /// <param name="path">Destination; its folder is created.</param>
    /// <param name="tensors">Name → tensor, any device and layout (each is copied to contiguous CPU memory to write it).</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings, e.g. <c>{"format": "pt"}</c>.</param>
    /// <exception cref="ArgumentException">A name is empty or <c>__metadata__</c>, or a tensor's dtype has no safetensors name.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Save(stream, tensors, metadata);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes the safetensors bytes to a stream (see <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>).</summary>
    public static void Save(Stream destination, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(tensors);
        // The reference writer orders by alignment (largest element first), then name: every tensor then
        // starts at a multiple of its element size, which lets readers map the file without copying.
        var order = new List<(string Name, Tensor Tensor, string DType, int Size)>();
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
                throw new ArgumentException($"'{name}' cannot name a tensor in a safetensors file.", nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor, $"{nameof(tensors)}[{name}]");
            var dtype = SafeTensorsDType.FromScalarType(tensor.dtype)
                ?? throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store.", nameof(tensors));
            SafeTensorsDType.TryGetSize(dtype, out var size);
            order.Add((name, tensor, dtype, size));
        }
        order.Sort((a, b) => a.Size != b.Size ? b.Size.CompareTo(a.Size) : string.CompareOrdinal(a.Name, b.Name));

        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    json.WriteString(key, value ?? throw new ArgumentException($"Metadata '{key}' is null; values must be strings.", nameof(metadata)));
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor, dtype, size) in order)
            {
                var bytes = checked(tensor.numel() * size);
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (var d in tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Spaces pad the header to a multiple of 8 so the data buffer starts 8-byte aligned, as the reference does.
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        destination.Write(length);
        header.Position = 0;
        header.CopyTo(destination);
        foreach (var (_, tensor, _, _) in order)
        {
            using var scope = NewDisposeScope();
            var cpu = tensor.detach().cpu().contiguous();
            ForEachChunk(cpu, (span, _) => destination.Write(span));
        }
        destination.Flush();
    }

    private static (long DataStart, List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ReadHeader(string path, SafeFileHandle handle)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Reading safetensors needs a little-endian machine.");
        var fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
            throw new InvalidWeightsFileException(path, $"the file is {fileLength} bytes; it must start with an 8-byte header length.");
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(path, handle, prefix, 0, null);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw new InvalidWeightsFileException(path, $"the header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        if ((long)headerLength > fileLength - 8)
            throw new InvalidWeightsFileException(path,
                $"the header length {headerLength} runs past the end of the file ({fileLength} bytes, so at most {fileLength - 8}).");
        if (headerLength < 2)
            throw new InvalidWeightsFileException(path, $"the header is {headerLength} bytes; it must hold a JSON object.");

        var header = new byte[headerLength];
        ReadExactly(path, handle, header, 8, null);
        if (!Utf8.IsValid(header))
            throw new InvalidWeightsFileException(path, "the header is not valid UTF-8.");
        if (header[0] != (byte)'{')
            throw new InvalidWeightsFileException(path, $"the header must start with '{{', not byte 0x{header[0]:X2}.");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new InvalidWeightsFileException(path, $"the header is not valid JSON ({e.Message})", null, e);
        }

        var dataStart = 8 + (long)headerLength;
        var bufferLength = fileLength - dataStart;
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidWeightsFileException(path, $"the header is a JSON {doc.RootElement.ValueKind}, not an object.");
            try
            {
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (!seen.Add(property.Name))
                        throw new InvalidWeightsFileException(path, $"the header names '{property.Name}' twice.", property.Name);
                    if (property.Name == MetadataKey) ReadMetadata(path, property.Value, metadata);
                    else tensors.Add(ReadEntry(path, property.Name, property.Value, bufferLength));
                }
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json accepts a lone surrogate escape such as "\ud800" while parsing, and only
                // refuses to turn it into a string; it is not valid Unicode (the reference rejects it too).
                throw new InvalidWeightsFileException(path, $"the header has a string that is not valid Unicode ({e.Message})", null, e);
            }
        }
        CheckCoverage(path, tensors, bufferLength);
        return (dataStart, tensors, metadata);
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidWeightsFileException(path, $"__metadata__ is a JSON {value.ValueKind}, not an object of strings.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new InvalidWeightsFileException(path, $"__metadata__ value '{item.Name}' is a JSON {item.Value.ValueKind}, not a string.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new InvalidWeightsFileException(path, $"__metadata__ names '{item.Name}' twice.");
        }
    }

    private static SafeTensorInfo ReadEntry(string path, string name, JsonElement value, long bufferLength)
    {
        InvalidWeightsFileException Bad(string problem) => new(path, $"tensor '{name}' {problem}", name);

        if (value.ValueKind != JsonValueKind.Object)
            throw Bad($"is described by a JSON {value.ValueKind}, not an object with dtype, shape and data_offsets.");
        if (!value.TryGetProperty("dtype", out var dtypeJson) || dtypeJson.ValueKind != JsonValueKind.String)
            throw Bad("has no dtype string.");
        var dtype = dtypeJson.GetString()!;
        if (!SafeTensorsDType.TryGetSize(dtype, out var elementSize))
            throw Bad($"has unknown dtype '{dtype}'.");

        if (!value.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array)
            throw Bad("has no shape array.");
        var rank = shapeJson.GetArrayLength();
        if (rank > MaxRank) throw Bad($"has {rank} dimensions; at most {MaxRank} are accepted.");
        var shape = new long[rank];
        var i = 0;
        foreach (var dim in shapeJson.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
                throw Bad($"has shape entry {dim.GetRawText()}; dimensions must be non-negative integers.");
            shape[i++] = d;
        }

        if (!value.TryGetProperty("data_offsets", out var offsetsJson) || offsetsJson.ValueKind != JsonValueKind.Array ||
            offsetsJson.GetArrayLength() != 2)
            throw Bad("has no data_offsets pair [begin, end].");
        var begin = offsetsJson[0];
        var end = offsetsJson[1];
        if (begin.ValueKind != JsonValueKind.Number || !begin.TryGetInt64(out var b) || b < 0 ||
            end.ValueKind != JsonValueKind.Number || !end.TryGetInt64(out var e) || e < 0)
            throw Bad($"has data_offsets {offsetsJson.GetRawText()}; they must be non-negative integers.");
        if (b > e) throw Bad($"has data_offsets [{b}, {e}], which end before they begin.");
        if (e > bufferLength)
            throw Bad($"has data_offsets [{b}, {e}], past the end of the {bufferLength}-byte data buffer.");

        var info = new SafeTensorInfo(name, dtype, shape, b, e);
        long bytes;
        try
        {
            // libtorch computes strides as the product of the later dimensions, each at least 1, so even an empty
            // tensor like [0, 2^62, 2^62] overflows there: such shapes are refused here rather than in native code.
            long count = 1, strides = 1;
            foreach (var d in shape)
            {
                count = checked(count * d);
                strides = checked(strides * Math.Max(d, 1));
            }
            bytes = checked(count * elementSize);
        }
        catch (OverflowException)
        {
            throw Bad($"has shape {info.ShapeText}, whose size or strides overflow a 64-bit count.");
        }
        if (bytes != e - b)
            throw Bad($"has dtype {dtype} and shape {info.ShapeText}, which need {bytes} bytes, but data_offsets [{b}, {e}] hold {e - b}.");
        return info;
    }

    private static void CheckCoverage(string path, List<SafeTensorInfo> tensors, long bufferLength)
    {
        // The format requires the tensors to tile the buffer exactly: sorted by offset, each starts where the
        // previous ended, and the last ends at the end of the file. This rules out overlaps, gaps and trailing bytes.
        tensors.Sort((x, y) => x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin) : x.End.CompareTo(y.End));
        long position = 0;
        SafeTensorInfo? previous = null;
        foreach (var t in tensors)
        {
            if (t.Begin < position)
                throw new InvalidWeightsFileException(path,
                    $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{t.Name}' [{t.Begin}, {t.End}] overlap.", t.Name);
            if (t.Begin > position)
                throw new InvalidWeightsFileException(path,
                    $"bytes {position}..{t.Begin} of the data buffer belong to no tensor (before '{t.Name}').", t.Name);
            position = t.End;
            previous = t;
        }
        if (position != bufferLength)
            throw new InvalidWeightsFileException(path,
                $"the tensors cover {position} bytes but the data buffer after the header is {bufferLength} bytes.");
    }

    private void ReadExactly(Span<byte> target, long fileOffset, string tensorName) =>
        ReadExactly(Path, _handle, target, fileOffset, tensorName);

    private static void ReadExactly(string path, SafeFileHandle handle, Span<byte> target, long fileOffset, string? tensorName)
    {
        while (!target.IsEmpty)
        {
            var n = RandomAccess.Read(handle, target, fileOffset);
            if (n == 0)
                throw new InvalidWeightsFileException(path,
                    $"the file ended at byte {fileOffset}" + (tensorName is null ? "." : $" while reading tensor '{tensorName}' (was it changed after opening?)."),
                    tensorName);
            target = target[n..];
            fileOffset += n;
        }
    }

    private void CheckBooleans(Tensor tensor, string name)
    {
        // libtorch assumes a bool byte is 0 or 1; any other value is undefined behaviour in later kernels.
        ForEachChunk(tensor, (span, _) =>
        {
            if (span.IndexOfAnyExcept((byte)0, (byte)1) >= 0)
                throw new InvalidWeightsFileException(Path, $"tensor '{name}' has dtype BOOL but holds bytes other than 0 and 1.", name);
        });
    }

    private delegate void ChunkAction(Span<byte> bytes, long offset);

    /// <summary>Visits the bytes of a contiguous CPU tensor in slices that fit a span.</summary>
    private static void ForEachChunk(Tensor tensor, ChunkAction action)
    {
        var count = tensor.numel();
        if (count == 0) return;
        var elementSize = tensor.ElementSize;
        if (count * elementSize <= ChunkBytes)
        {
            action(tensor.bytes, 0);
            return;
        }
        using var flat = tensor.view(-1);
        var perChunk = ChunkBytes / elementSize;
        for (long start = 0; start < count; start += perChunk)
        {
            using var slice = flat.narrow(0, start, Math.Min(perChunk, count - start));
            action(slice.bytes, start * elementSize);
        }
    }
}
