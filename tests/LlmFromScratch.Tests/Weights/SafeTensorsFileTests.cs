using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using LlmFromScratch.Weights;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LlmFromScratch.Tests.Weights;

public sealed class SafeTensorsFileTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("safetensors-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => System.IO.Path.Combine(_folder, name);

    [Fact]
    public void Save_WritesTheReferenceLayout_ByteForByte()
    {
        var path = PathOf("one.safetensors");
        using var a = tensor(new[] { 1f, 2f });

        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["a"] = a });

        const string json = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        var expected = new List<byte>();
        expected.AddRange(BitConverter.GetBytes(56UL)); // 54 bytes of JSON padded with spaces to a multiple of 8
        expected.AddRange(Encoding.UTF8.GetBytes(json + "  "));
        expected.AddRange(BitConverter.GetBytes(1f));
        expected.AddRange(BitConverter.GetBytes(2f));
        File.ReadAllBytes(path).Should().Equal(expected);
    }

    [Fact]
    public void Save_ThenOpen_RoundTripsEveryDtypeShapeAndTheMetadata()
    {
        var path = PathOf("all.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(2, 3),
            ["f16"] = randn(4).to(ScalarType.Float16),
            ["bf16"] = randn(2, 2).to(ScalarType.BFloat16),
            ["f64"] = randn(3, dtype: ScalarType.Float64),
            ["i64"] = tensor(new long[] { long.MinValue, -1, 0, long.MaxValue }),
            ["i32"] = tensor(new[] { int.MinValue, 7 }),
            ["i16"] = tensor(new short[] { -3, 3 }),
            ["i8"] = tensor(new sbyte[] { -128, 127 }),
            ["u8"] = tensor(new byte[] { 0, 255 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(3.5f),
            ["empty"] = zeros(0, 5),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcödé \"quoted\"" };

        SafeTensorsFile.Save(path, tensors, metadata);
        using var file = SafeTensorsFile.Open(path);

        file.Metadata.Should().Equal(metadata);
        file.Tensors.Select(t => t.Name).Should().BeEquivalentTo(tensors.Keys);
        foreach (var (name, original) in tensors)
        {
            using var read = file.ReadTensor(name);
            read.dtype.Should().Be(original.dtype, name);
            read.shape.Should().Equal(original.shape, name);
            read.equal(original).all().item<bool>().Should().BeTrue(name);
        }
    }

    [Fact]
    public void Save_OrdersTensorsByElementSizeThenName_SoEachStartsAligned()
    {
        var path = PathOf("order.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor>
        {
            ["a8"] = ones(3, dtype: ScalarType.Int8),
            ["z32"] = ones(2),
            ["b32"] = ones(1),
            ["c64"] = ones(1, dtype: ScalarType.Float64),
        });

        using var file = SafeTensorsFile.Open(path);

        file.Tensors.Select(t => (t.Name, t.Begin, t.End)).Should().Equal(("c64", 0L, 8L), ("b32", 8L, 12L), ("z32", 12L, 20L), ("a8", 20L, 23L));
        file.DataStart.Should().Be(8 + (file.DataStart - 8) / 8 * 8, "the header is padded to a multiple of 8");
    }

    [Fact]
    public void Save_ReplacesAnExistingFile_AndLeavesNoTemporaryFiles()
    {
        var path = PathOf("replace.safetensors");
        File.WriteAllText(path, "old");

        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["x"] = ones(2) });

        Directory.GetFiles(_folder).Should().Equal(path);
        using var file = SafeTensorsFile.Open(path);
        file.Tensors.Should().ContainSingle().Which.Name.Should().Be("x");
    }

    [Fact]
    public void Save_WritesNonContiguousTensorsByValue()
    {
        var path = PathOf("transposed.safetensors");
        using var source = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var transposed = source.t();

        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["t"] = transposed });
        using var file = SafeTensorsFile.Open(path);
        using var read = file.ReadTensor("t");

        read.data<float>().ToArray().Should().Equal(0f, 3f, 1f, 4f, 2f, 5f);
    }

    [Fact]
    public void Save_Rejects_TheReservedMetadataName()
    {
        var act = () => SafeTensorsFile.Save(PathOf("x.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = ones(1) });

        act.Should().Throw<ArgumentException>().WithMessage("*__metadata__*");
    }

    [Fact]
    public void ReadTensor_Throws_NamingTheTensor_ForADtypeTorchSharpCannotHold()
    {
        var path = Write("u32.safetensors", """{"w":{"dtype":"U32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);
        using var file = SafeTensorsFile.Open(path);

        var act = () => file.ReadTensor("w");

        act.Should().Throw<InvalidWeightsFileException>().WithMessage("*u32.safetensors*tensor 'w' has dtype U32*")
            .Which.TensorName.Should().Be("w");
    }

    [Fact]
    public void ReadTensor_Rejects_BoolBytesOtherThanZeroAndOne()
    {
        var path = Write("bool.safetensors", """{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}""", [1, 2]);
        using var file = SafeTensorsFile.Open(path);

        var act = () => file.ReadTensor("m");

        act.Should().Throw<InvalidWeightsFileException>().WithMessage("*'m'*BOOL*other than 0 and 1*");
    }

    [Fact]
    public void Indexer_Throws_ListingTheNamesThereAre_ForAnUnknownName()
    {
        var path = PathOf("names.safetensors");
        SafeTensorsFile.Save(path, new Dictionary<string, Tensor> { ["wte.weight"] = ones(1) });
        using var file = SafeTensorsFile.Open(path);

        var act = () => file.ReadTensor("lm_head.weight");

        act.Should().Throw<KeyNotFoundException>().WithMessage("*no tensor named 'lm_head.weight'*wte.weight*");
    }

    public static TheoryData<string, string, int, string> Malformed => new()
    {
        // name, header JSON (null-free), data length, expected message pattern
        { "not JSON", "{\"a\":", 0, "*not valid JSON*" },
        { "array root", "[1,2]   ", 0, "*must start with '{'*" },
        { "leading space", " {}", 0, "*must start with '{'*" },
        { "unknown dtype", """{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}""", 4, "*tensor 'a' has unknown dtype 'F31'*" },
        { "negative dim", """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "*tensor 'a' has shape entry -1*non-negative integers*" },
        { "fractional dim", """{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "*shape entry 1.5*" },
        { "string dim", """{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", 4, "*shape entry \"1\"*" },
        { "overflowing shape", """{"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}""", 4, "*size or strides overflow a 64-bit count*" },
        { "byte count mismatch", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4, "*dtype F32 and shape [2], which need 8 bytes, but data_offsets [0, 4] hold 4*" },
        { "past the buffer", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "*data_offsets [0, 8], past the end of the 4-byte data buffer*" },
        { "end before begin", """{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}""", 4, "*end before they begin*" },
        { "overlap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "*'a' [0, 8] and 'b' [4, 8] overlap*" },
        { "gap", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "*bytes 0..4 of the data buffer belong to no tensor*" },
        { "trailing bytes", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "*cover 4 bytes but the data buffer after the header is 8 bytes*" },
        { "duplicate name", """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "*names 'a' twice*" },
        { "missing offsets", """{"a":{"dtype":"F32","shape":[1]}}""", 4, "*tensor 'a' has no data_offsets*" },
        { "entry not an object", """{"a":[1,2,3]}""", 0, "*tensor 'a' is described by a JSON Array*" },
        { "metadata not strings", """{"__metadata__":{"n":1}}""", 0, "*__metadata__ value 'n' is a JSON Number*" },
        { "too deep", "{\"a\":" + new string('[', 100) + new string(']', 100) + "}", 0, "*not valid JSON*" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Open_Throws_NamingTheFileAndTheProblem(string name, string header, int dataLength, string message)
    {
        var path = Write(name.Replace(' ', '-') + ".safetensors", header, new byte[dataLength]);

        var act = () => SafeTensorsFile.Open(path);

        act.Should().Throw<InvalidWeightsFileException>().WithMessage($"Invalid safetensors file '{path}': {message}");
    }

    [Fact]
    public void Open_Rejects_AFileShorterThanTheLengthPrefix()
    {
        var path = PathOf("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        var act = () => SafeTensorsFile.Open(path);

        act.Should().Throw<InvalidWeightsFileException>().WithMessage("*the file is 3 bytes; it must start with an 8-byte header length*");
    }

    [Theory]
    [InlineData(1000UL, "*header length 1000 runs past the end of the file (26 bytes, so at most 18)*")]
    [InlineData(100_000_001UL, "*header length 100000001 exceeds the 100000000-byte limit*")]
    [InlineData(ulong.MaxValue, "*header length 18446744073709551615 exceeds*")]
    public void Open_Rejects_AHeaderLengthThatLies_BeforeAllocatingIt(ulong claimed, string message)
    {
        var path = Write("lies.safetensors", "{}", new byte[16], claimed);

        var act = () => SafeTensorsFile.Open(path);

        act.Should().Throw<InvalidWeightsFileException>().WithMessage(message);
    }

    [Fact]
    public void Open_Rejects_AHeaderThatIsNotUtf8()
    {
        var path = PathOf("latin1.safetensors");
        var header = Encoding.Latin1.GetBytes("{\"caf\u00e9\":{}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header]);

        var act = () => SafeTensorsFile.Open(path);

        act.Should().Throw<InvalidWeightsFileException>().WithMessage("*not valid UTF-8*");
    }

    [Fact]
    public void Open_Accepts_NullMetadata_AndUnknownFieldsInAnEntry()
    {
        var path = Write("lenient.safetensors",
            """{"__metadata__":null,"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"comment":"ignored"}}""",
            BitConverter.GetBytes(1.5f));

        using var file = SafeTensorsFile.Open(path);
        using var a = file.ReadTensor("a");

        a.item<float>().Should().Be(1.5f);
    }

    [Fact]
    [Trait("Category", "Reliability")]
    public void Open_OnlyEverLoadsOrThrowsInvalidWeightsFile_OnThousandsOfMutatedFiles()
    {
        var fuzzer = new SafeTensorsFuzzer(seed: 20240617);
        var path = PathOf("fuzz.safetensors");
        var failures = new List<string>();
        var counts = new SortedDictionary<string, (int Valid, int Invalid)>();
        var watch = Stopwatch.StartNew();
        var cases = 0;

        foreach (var c in fuzzer.Cases())
        {
            cases++;
            File.WriteAllBytes(path, c.Bytes);
            var verdict = SafeTensorsFuzzer.Check(path, c.Bytes);
            if (verdict.Unexpected is { } error) failures.Add($"#{cases} {c.Kind}: {error}");
            else if (c.ExpectValid is { } expected && expected != verdict.Valid)
                failures.Add($"#{cases} {c.Kind}: expected {(expected ? "valid" : "invalid")}, got {(verdict.Valid ? "valid" : verdict.Message)}");
            var (v, i) = counts.GetValueOrDefault(c.Kind);
            counts[c.Kind] = verdict.Valid ? (v + 1, i) : (v, i + 1);
        }

        output.WriteLine($"{cases} fuzz cases in {watch.Elapsed.TotalSeconds:0.0} s (valid/invalid by kind):");
        foreach (var (kind, (v, i)) in counts) output.WriteLine($"  {kind,-34} {v,5} valid {i,5} invalid");
        foreach (var f in failures) output.WriteLine(f);
        failures.Should().BeEmpty();
        cases.Should().BeGreaterThan(3000);
    }

    /// <summary>Writes a raw file: length prefix (the true one unless <paramref name="claimedLength"/>), the header as given, then the data.</summary>
    private string Write(string name, string header, byte[] data, ulong? claimedLength = null)
    {
        var path = PathOf(name);
        var json = Encoding.UTF8.GetBytes(header);
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, claimedLength ?? (ulong)json.Length);
        File.WriteAllBytes(path, [.. prefix, .. json, .. data]);
        return path;
    }
}
