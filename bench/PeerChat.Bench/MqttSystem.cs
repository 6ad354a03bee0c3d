using System.Buffers;
using System.Net;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// An MQTT 3.1.1 broker (Mosquitto): CONNECT with a clean session, SUBSCRIBE at QoS 0 to "all" (fan-out)
/// and "to/&lt;name&gt;" (direct), PUBLISH at QoS 0, and PINGREQ as the barrier that says the
/// subscriptions are in place (the broker answers in order).
/// </summary>
internal sealed class MqttSystem : ChatSystem
{
    private const byte Connect = 0x10;
    private const byte Publish = 0x30;
    private const byte Subscribe = 0x82;
    private const byte PingRequest = 0xC0;
    private const byte PingResponse = 0xD0;

    public override string Name => "Mosquitto";

    public override Task<LineConnection> ConnectReceiverAsync(string name, IPAddress? local = null) => ConnectAsync(name, local, "all", $"to/{name}");

    // The sender does not subscribe to "all": MQTT 3.1.1 has no "no local", so it would get its own messages back.
    public override Task<LineConnection> ConnectSenderAsync(string name) => ConnectAsync(name, null, $"to/{name}");

    public override byte[] PublishFrame(string payload) => PublishPacket("all", payload);

    public override byte[] DirectFrame(string to, string payload) => PublishPacket($"to/{to}", payload);

    public override async Task<string?> ReceiveAsync(LineConnection connection, CancellationToken cancellationToken)
    {
        while (await connection.ReadFrameAsync(FrameLength, cancellationToken) is { } frame)
        {
            if ((frame[0] & 0xF0) == Publish)
            {
                // Fixed header, topic (length-prefixed), then the payload (QoS 0: no packet id).
                var body = HeaderLength(frame);
                var topicLength = (frame[body] << 8) | frame[body + 1];
                return Encoding.UTF8.GetString(frame, body + 2 + topicLength, frame.Length - body - 2 - topicLength);
            }
        }

        return null;
    }

    private async Task<LineConnection> ConnectAsync(string clientId, IPAddress? local, params string[] topics)
    {
        var connection = await LineConnection.ConnectAsync(Server, local);

        // Protocol "MQTT" level 4 (3.1.1), clean session, keep-alive 60 s (mosquitto_sub's default).
        var connect = new List<byte> { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, 0, 60 };
        connect.AddRange(MqttString(clientId));
        var subscribe = new List<byte> { 0, 1 };
        foreach (var topic in topics)
        {
            subscribe.AddRange(MqttString(topic));
            subscribe.Add(0);
        }

        byte[] hello = [.. Packet(Connect, connect), .. Packet(Subscribe, subscribe), PingRequest, 0];
        await connection.WriteAsync(hello);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var frame = await connection.ReadFrameAsync(FrameLength, timeout.Token) ?? throw new IOException($"Mosquitto closed {clientId}'s connection before its PINGRESP.");
            if (frame[0] == 0x20 && frame[3] != 0)
            {
                throw new InvalidOperationException($"Mosquitto refused {clientId}: CONNACK return code {frame[3]}.");
            }

            if (frame[0] == PingResponse)
            {
                return connection;
            }
        }
    }

    private static byte[] PublishPacket(string topic, string payload) => Packet(Publish, [.. MqttString(topic), .. Encoding.UTF8.GetBytes(payload)]);

    private static byte[] Packet(byte type, IReadOnlyCollection<byte> body)
    {
        var packet = new List<byte>(body.Count + 5) { type };
        var remaining = body.Count;
        do
        {
            var digit = (byte)(remaining % 128);
            remaining /= 128;
            packet.Add(remaining > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (remaining > 0);
        packet.AddRange(body);
        return [.. packet];
    }

    private static byte[] MqttString(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return [(byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }

    /// <summary>The length of the fixed header (type byte and the remaining length's 1-4 bytes).</summary>
    private static int HeaderLength(byte[] frame)
    {
        var i = 1;
        while ((frame[i] & 0x80) != 0)
        {
            i++;
        }

        return i + 1;
    }

    /// <summary>A whole packet's length from its fixed header, or -1 while the header is not all here.</summary>
    private static long FrameLength(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out _))
        {
            return -1;
        }

        long remaining = 0;
        for (var shift = 0; shift < 28; shift += 7)
        {
            if (!reader.TryRead(out var digit))
            {
                return -1;
            }

            remaining |= (long)(digit & 0x7F) << shift;
            if ((digit & 0x80) == 0)
            {
                return reader.Consumed + remaining;
            }
        }

        throw new InvalidDataException("An MQTT remaining length longer than four bytes.");
    }
}
