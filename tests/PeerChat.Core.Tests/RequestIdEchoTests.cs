using System.Buffers;
using System.Text;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Tests;

/// <summary>
/// A request's id comes back as <c>re</c> exactly as it was written, whether kept as its integer
/// value (the common case) or as a copy of the JSON (any other id).
/// </summary>
public sealed class RequestIdEchoTests
{
    [Theory]
    [InlineData("7")]
    [InlineData("0")]
    [InlineData("-12")]
    [InlineData("9223372036854775807")]
    [InlineData("-9223372036854775808")]
    [InlineData("9223372036854775808")]
    [InlineData("-0")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("\"abc\"")]
    [InlineData("\"a\\u00e9\"")]
    public void SentReceipt_EchoesTheId_AsTheIdFieldWritesIt(string id)
    {
        var line = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes($$"""{"type":"send","id":{{id}},"to":"bob","text":"hi"}"""));
        Assert.True(RequestFrame.TryParse(line, out var request, out _));

        var sent = Encoding.UTF8.GetString(ChatFrames.Sent(request!, "m1", 1, queued: false));
        var viaId = Encoding.UTF8.GetString(FrameWriter.Build("sent", request!.Id, static (w, re) => FrameWriter.WriteRe(w, re)));

        Assert.StartsWith(viaId[..^2], sent, StringComparison.Ordinal);
        Assert.Equal(id, request.Id!.Value.GetRawText());
    }

    [Fact]
    public void SentReceipt_HasNoRe_WithoutAnId()
    {
        var line = new ReadOnlySequence<byte>("""{"type":"send","to":"bob","text":"hi"}"""u8.ToArray());
        Assert.True(RequestFrame.TryParse(line, out var request, out _));

        Assert.Null(request!.Id);
        Assert.DoesNotContain("\"re\"", Encoding.UTF8.GetString(ChatFrames.Sent(request, "m1", 1, queued: false)), StringComparison.Ordinal);
    }
}
