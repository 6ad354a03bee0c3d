using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// A lone surrogate escape ("\ud800") is valid JSON and valid UTF-8 on the wire, but no string can
/// hold it: the server must refuse such a frame as <c>bad_frame</c> where it enters, not fail later
/// while reading a field or writing an answer.
/// </summary>
public sealed class LoneSurrogateTests
{
    [Theory]
    [InlineData("""{"type":"\ud800"}""")]
    [InlineData("""{"type":"ping","id":"\udfff"}""")]
    [InlineData("""{"type":"login","id":1,"user":"\ud800","password":"correct horse battery"}""")]
    [InlineData("""{"type":"signup","id":1,"user":"bob","password":"pass \ud83d word"}""")]
    [InlineData("""{"type":"login","id":1,"user":"bob","password":"correct horse battery","peer":{"port":5000,"fingerprint":"\udc00\ud800"}}""")]
    [InlineData("""{"type":"ping","id":1,"\ud800":true}""")]
    [InlineData("""{"type":"ping","id":"x","data":{"a":[{"b":"\ud83d\u0041"}]}}""")]
    public async Task ALoneSurrogate_InAnyStringBeforeLogin_GetsBadFrame_AndTheConnectionGoesOn(string line)
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        await raw.SendLineAsync(line);
        var refusal = await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"ping","id":"after"}""");
        var pong = await raw.ReadFrameAsync();

        refusal.AssertError(ErrorCodes.BadFrame);
        Assert.Contains("surrogate", refusal.Str("message"));
        Assert.Equal(("pong", "after"), (pong.Type(), pong.Str("re")));
    }

    [Fact]
    public async Task ABroadcastWithALoneSurrogateInData_GetsBadFrame_AndNobodyReceivesIt()
    {
        await using var server = await TestServer.StartAsync();
        var bob = await server.LoginAsync("bob");
        await (await server.ConnectAsync()).SignUpAsync("alice", TestServer.Password);
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"login","id":1,"user":"alice","password":"correct horse battery"}""");
        await raw.ReadFrameAsync("welcome");

        await raw.SendLineAsync("""{"type":"broadcast","id":2,"text":"hi","data":{"k":"\udfff"}}""");
        var refusal = await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"broadcast","id":3,"text":"fine \ud83d\ude00"}""");
        await raw.ReadFrameAsync("sent");
        var received = (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        refusal.AssertError(ErrorCodes.BadFrame);
        Assert.Equal("fine \U0001F600", received.Text);
        Assert.Empty(server.Events.OfType<Server.ServerErrorEvent>());
    }
}
