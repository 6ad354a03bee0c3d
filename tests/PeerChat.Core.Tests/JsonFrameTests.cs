using System.Buffers;
using System.Text;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Tests;

/// <summary>
/// The server reads a request in place (<see cref="JsonFrame.TryParseInPlace"/>) and only a line
/// that fails there goes the copying way that names the fault: the two must accept the same lines,
/// or a frame would be answered differently than before.
/// </summary>
[Trait("Category", "Unit")]
public sealed class JsonFrameTests
{
    public static TheoryData<string> Lines() =>
    [
        "{\"type\":\"send\",\"to\":\"bob\",\"text\":\"hi\"}",
        "{\"type\":\"send\"} \t\r",
        "\uFEFF{\"type\":\"send\"}",
        "{\"type\":\"send\"} {}",
        "{\"type\":\"send\"}\u00a0",
        "{\"type\":\"send\"}\0",
        "{\"type\":\"send\",}",
        "{\"type\":\"send\"}//",
        "{\"type\":\"send\" /* c */}",
        "",
        " ",
        "[]",
        "\"send\"",
        "{\"type\":1}",
        "{\"to\":\"bob\"}",
        "{\"type\":\"send\",\"text\":\"\\ud800\"}",
        "{\"type\":\"send\",\"text\":\"\\ud83d\\ude00\"}",
        "{\"type\":\"s\\u0065nd\",\"type\":2}",
        "{\"type\":2,\"type\":\"send\"}",
        "{\"type\":\"send\",\"data\":" + new string('[', 64) + new string(']', 64) + "}",
        "{\"type\":\"send\",\"data\":" + new string('[', 63) + new string(']', 63) + "}",
    ];

    [Theory]
    [MemberData(nameof(Lines))]
    public void TryParseInPlace_AcceptsExactlyTheFramesTryParseAccepts(string text)
    {
        var line = Encoding.UTF8.GetBytes(text);

        var inPlace = JsonFrame.TryParseInPlace(line, out var document);
        document?.Dispose();

        Assert.Equal(JsonFrame.TryParse(new ReadOnlySequence<byte>(line), out _) == FrameFault.None, inPlace);
    }

    [Fact]
    public void TryParseInPlace_RefusesBytesThatAreNotUtf8()
    {
        byte[] line = [.. "{\"type\":\"send\",\"text\":\""u8, 0xC3, 0x28, .. "\"}"u8];

        Assert.False(JsonFrame.TryParseInPlace(line, out var document));
        Assert.Null(document);
        Assert.Equal(FrameFault.NotUtf8, JsonFrame.TryParse(new ReadOnlySequence<byte>(line), out _));
    }
}
