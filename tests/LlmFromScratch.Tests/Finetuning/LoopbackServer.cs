using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LlmFromScratch.Tests.Finetuning;

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 and an ephemeral port, one request per connection, for tests that must not
/// reach the network. It speaks just enough HTTP for HttpClient: Content-Length or chunked request bodies.
/// </summary>
public sealed class LoopbackServer : IDisposable
{
    /// <summary>A request as the server saw it.</summary>
    public sealed record Request(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

    /// <summary>What the server answers.</summary>
    public sealed record Response(int Status, string ContentType, byte[] Body)
    {
        public static Response Json(string json, int status = 200) => new(status, "application/json", Encoding.UTF8.GetBytes(json));
    }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<Request, Response> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Request> _requests = [];

    public LoopbackServer(Func<Request, Response> handler)
    {
        _handler = handler;
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<Request> Requests
    {
        get { lock (_requests) return _requests.ToList(); }
    }

    /// <summary>A loopback port with nothing listening on it (bound, then released): connections are refused.</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private void Serve(TcpClient client)
    {
        using (client)
        using (var stream = client.GetStream())
        {
            try
            {
                var request = ReadRequest(stream);
                lock (_requests) _requests.Add(request);
                Response response;
                try { response = _handler(request); }
                catch (Exception e) { response = new Response(500, "text/plain", Encoding.UTF8.GetBytes(e.ToString())); }
                var head = $"HTTP/1.1 {response.Status} {(response.Status == 200 ? "OK" : "Status")}\r\n" +
                           $"Content-Type: {response.ContentType}\r\nContent-Length: {response.Body.Length}\r\nConnection: close\r\n\r\n";
                stream.Write(Encoding.ASCII.GetBytes(head));
                stream.Write(response.Body);
                stream.Flush();
            }
            catch (IOException)
            {
                // The client hung up; nothing to answer.
            }
        }
    }

    private static Request ReadRequest(Stream stream)
    {
        var headerText = Encoding.ASCII.GetString(ReadUntil(stream, "\r\n\r\n"u8.ToArray()));
        var lines = headerText.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        byte[] body;
        if (headers.TryGetValue("Content-Length", out var length)) body = ReadExactly(stream, int.Parse(length));
        else if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            using var all = new MemoryStream();
            while (true)
            {
                var size = Convert.ToInt32(Encoding.ASCII.GetString(ReadUntil(stream, "\r\n"u8.ToArray())).Split(';')[0].Trim(), 16);
                if (size == 0) { ReadUntil(stream, "\r\n"u8.ToArray()); break; }
                all.Write(ReadExactly(stream, size));
                ReadExactly(stream, 2);
            }
            body = all.ToArray();
        }
        else body = [];
        return new Request(parts[0], parts[1], headers, Encoding.UTF8.GetString(body));
    }

    private static byte[] ReadUntil(Stream stream, byte[] terminator)
    {
        var buffer = new List<byte>();
        while (true)
        {
            var b = stream.ReadByte();
            if (b < 0) throw new IOException("connection closed mid-request");
            buffer.Add((byte)b);
            if (buffer.Count >= terminator.Length && buffer.TakeLast(terminator.Length).SequenceEqual(terminator))
                return buffer.Take(buffer.Count - terminator.Length).ToArray();
        }
    }

    private static byte[] ReadExactly(Stream stream, int count)
    {
        var data = new byte[count];
        stream.ReadExactly(data);
        return data;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
