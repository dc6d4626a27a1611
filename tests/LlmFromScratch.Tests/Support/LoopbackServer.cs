using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LlmFromScratch.Tests.Support;

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port, never any other address) whose every response is
/// scripted by the test: it can drop the connection mid-body, stall, lie about lengths or ignore ranges.
/// One request per connection (<c>Connection: close</c>), so each retry is visible in <see cref="Requests"/>.
/// </summary>
public sealed class LoopbackServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<Request, int, Response> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Request> _requests = new();
    private readonly Task _loop;
    private int _count;

    /// <summary>Starts serving; <paramref name="handler"/> gets each request and its 0-based number.</summary>
    public LoopbackServer(Func<Request, int, Response> handler)
    {
        _handler = handler;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>The port the server listens on.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>An absolute URL on this server.</summary>
    public string Url(string path = "/file") => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Every request received so far, in order.</summary>
    public IReadOnlyList<Request> Requests => _requests.ToArray();

    /// <summary>A loopback URL where nothing listens (a port that was just free), for "no network needed" tests.</summary>
    public static string ClosedPortUrl()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return $"http://127.0.0.1:{port}/file";
    }

    /// <summary>A well-behaved file server: 200 with the whole body, or 206 from the requested start.</summary>
    public static Response Serve(byte[] content, Request request, IDictionary<string, string>? headers = null)
    {
        if (request.RangeStart is { } start && start < content.Length)
        {
            var extra = new Dictionary<string, string>(headers ?? new Dictionary<string, string>())
            {
                ["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}",
            };
            return new Response(206, content[(int)start..], extra);
        }
        if (request.RangeStart is { } past && past >= content.Length)
            return new Response(416, [], new Dictionary<string, string> { ["Content-Range"] = $"bytes */{content.Length}" });
        return new Response(200, content, headers);
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var request = await ReadRequestAsync(stream);
            if (request is null) return;
            _requests.Enqueue(request);
            var response = _handler(request, Interlocked.Increment(ref _count) - 1);
            await WriteResponseAsync(stream, response);
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // The client hung up (a cancelled download): nothing to do.
        }
    }

    private static async Task<Request?> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n') break;
        }
        var lines = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var first = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        long? rangeStart = null;
        if (headers.TryGetValue("Range", out var range) && range.StartsWith("bytes=", StringComparison.Ordinal))
            rangeStart = long.Parse(range["bytes=".Length..].Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
        return new Request(first[0], first[1], rangeStart, headers);
    }

    private async Task WriteResponseAsync(NetworkStream stream, Response response)
    {
        if (response.Status == 0)
        {
            await Task.Delay(Timeout.Infinite, _stop.Token); // accepts the connection, never answers
            return;
        }
        var head = new StringBuilder($"HTTP/1.1 {response.Status} {ReasonOf(response.Status)}\r\n");
        var length = response.ContentLength ?? response.Body.Length;
        head.Append($"Content-Length: {length}\r\nConnection: close\r\n");
        foreach (var (key, value) in response.Headers ?? new Dictionary<string, string>()) head.Append($"{key}: {value}\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
        var send = Math.Min(response.SendOnly ?? response.Body.Length, response.Body.Length);
        if (send > 0) await stream.WriteAsync(response.Body.AsMemory(0, send), _stop.Token);
        await stream.FlushAsync(_stop.Token);
        // A stalled server keeps the connection open, silent, until the client gives up or the server stops.
        if (response.StallAfterSending) await Task.Delay(Timeout.Infinite, _stop.Token);
    }

    private static string ReasonOf(int status) => status switch
    {
        200 => "OK", 206 => "Partial Content", 302 => "Found", 404 => "Not Found", 416 => "Range Not Satisfiable",
        500 => "Internal Server Error", _ => "Status",
    };

    /// <summary>Stops listening and ends every open connection.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }

    /// <summary>What the client asked for.</summary>
    /// <param name="Method">GET, HEAD, …</param>
    /// <param name="Path">The request target, e.g. <c>/file</c>.</param>
    /// <param name="RangeStart">The start of a <c>Range: bytes=N-</c> header, or null.</param>
    /// <param name="Headers">All request headers.</param>
    public sealed record Request(string Method, string Path, long? RangeStart, IReadOnlyDictionary<string, string> Headers);

    /// <summary>A scripted response.</summary>
    /// <param name="Status">HTTP status code, or 0 to accept the connection and never answer.</param>
    /// <param name="Body">Body bytes.</param>
    /// <param name="Headers">Extra headers.</param>
    /// <param name="ContentLength">The Content-Length to announce (default: the body's length), so tests can lie.</param>
    /// <param name="SendOnly">Send only this many body bytes, then close (a dropped connection), or stall if <paramref name="StallAfterSending"/>.</param>
    /// <param name="StallAfterSending">Keep the connection open and silent after sending.</param>
    public sealed record Response(int Status, byte[] Body, IDictionary<string, string>? Headers = null, long? ContentLength = null,
        int? SendOnly = null, bool StallAfterSending = false);
}
