using System.Text;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

public sealed class ProtocolTests
{
    [Fact]
    public async Task Hello_IsFirstFrame_AndNamesProtocolAndLimits()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();

        var hello = await raw.ReadFrameAsync();

        Assert.Equal("hello", hello.Type());
        Assert.Equal("peerchat/1", hello.Str("protocol"));
        Assert.Equal(["login", "signup"], hello.GetProperty("auth").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(65536, hello.GetProperty("maxFrameBytes").GetInt32());
    }

    [Fact]
    public async Task Ping_IsAnsweredBeforeLogin_WithTheRequestIdEchoed()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        await raw.SendLineAsync("""{"type":"ping","id":"abc"}""");
        var pong = await raw.ReadFrameAsync();
        await raw.SendLineAsync("{\"type\":\"ping\",\"id\":17}\r");
        var pongWithNumber = await raw.ReadFrameAsync();

        Assert.Equal("pong", pong.Type());
        Assert.Equal("abc", pong.Str("re"));
        Assert.Equal(17, pongWithNumber.GetProperty("re").GetInt32());
    }

    [Fact]
    public async Task Activity_CountsForTheIdleRule_NeedsANonNegativeDirectCount_AndHelloNamesIt()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        var hello = await raw.ReadFrameAsync("hello");
        await raw.SendLineAsync("""{"type":"signup","id":1,"user":"alice","password":"correct horse battery"}""");
        await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"login","id":2,"user":"alice","password":"correct horse battery"}""");
        await raw.ReadFrameAsync("welcome");

        await raw.SendLineAsync("""{"type":"activity","id":3,"direct":-1}""");
        var negative = await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"activity","id":4,"direct":5}""");
        var counted = await raw.ReadFrameAsync();

        Assert.Contains("activity", hello.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        negative.AssertError(ErrorCodes.BadFrame);
        Assert.Equal(("ok", 4), (counted.Type(), counted.GetProperty("re").GetInt32()));
        Assert.Equal(5, Assert.Single(server.Server.GetClients()).Messages);
    }

    [Theory]
    [InlineData("list")]
    [InlineData("broadcast")]
    [InlineData("send")]
    [InlineData("connect_peer")]
    [InlineData("activity")]
    [InlineData("logout")]
    public async Task UserRequests_BeforeLogin_GetNotAuthenticated(string type)
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        await raw.SendLineAsync($$"""{"type":"{{type}}","id":1,"text":"x","to":"bob"}""");
        var reply = await raw.ReadFrameAsync();

        reply.AssertError(ErrorCodes.NotAuthenticated);
        Assert.Equal(1, reply.GetProperty("re").GetInt32());
    }

    [Fact]
    public async Task BadFrames_InvalidJsonInvalidUtf8AndMissingType_GetBadFrame_ThenTooManyErrorsAndClose()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        await raw.SendLineAsync("{not json");
        var first = await raw.ReadFrameAsync();
        await raw.SendAsync([.. Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"x\":\""), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}\n")]);
        var second = await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"id":3}""");
        var rest = await raw.ReadUntilClosedAsync();

        first.AssertError(ErrorCodes.BadFrame);
        second.AssertError(ErrorCodes.BadFrame);
        Assert.Contains("UTF-8", second.Str("message"));
        Assert.Equal(2, rest.Count);
        rest[0].AssertError(ErrorCodes.BadFrame);
        rest[1].AssertError(ErrorCodes.TooManyErrors);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{\"type\":5}")]
    [InlineData("{\"type\":\"ping\"} {\"type\":\"ping\"}")]
    [InlineData("")]
    public async Task NonObjectsAndNonStringTypes_AreBadFrames(string line)
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        await raw.SendLineAsync(line);

        (await raw.ReadFrameAsync()).AssertError(ErrorCodes.BadFrame);
    }

    [Fact]
    public async Task UnknownType_CountsAsProtocolError_AndUnknownFieldsAreIgnored()
    {
        await using var server = await TestServer.StartAsync(o => o with { MaxProtocolErrors = 2 });
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        await raw.SendLineAsync("""{"type":"ping","id":1,"future":{"x":[1,2]}}""");
        var pong = await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"dance","id":2}""");
        var unknown = await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"dance","id":3}""");
        var rest = await raw.ReadUntilClosedAsync();

        Assert.Equal("pong", pong.Type());
        unknown.AssertError(ErrorCodes.UnknownType);
        Assert.Equal(2, unknown.GetProperty("re").GetInt32());
        Assert.Equal([ErrorCodes.UnknownType, ErrorCodes.TooManyErrors], rest.Select(f => f.Code()));
    }

    [Fact]
    public async Task RequestFields_AFieldGivenTwiceCountsWithItsLastValue_AndEscapedNamesAreRead()
    {
        await using var server = await TestServer.StartAsync();
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");

        // "\u0074o" and "te\u0078t" are "to" and "text"; the first "to" and "data" are overridden.
        await alice.SendLineAsync("""{"type":"send","id":5,"to":"nobody","\u0074o":"bob","te\u0078t":"hi","data":7,"data":{"k":1}}""");
        var sent = await alice.ReadFrameAsync("sent");
        var message = await bob.ReadFrameAsync("message");
        await alice.SendLineAsync("""{"type":"broadcast","id":6,"text":"x","room":"lobby","room":7}""");
        var refused = await alice.ReadFrameAsync();

        Assert.Equal(5, sent.GetProperty("re").GetInt32());
        Assert.Equal(("alice", "hi", 1), (message.Str("from"), message.Str("text"), message.GetProperty("data").GetProperty("k").GetInt32()));
        refused.AssertError(ErrorCodes.BadFrame);
        Assert.Equal("'room' must be a string.", refused.Str("message"));
    }

    [Fact]
    public async Task TenMegabyteLineWithoutNewline_IsCutOffWithFrameTooLarge_AndBufferingStaysBounded()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        var huge = new byte[10 * 1024 * 1024];
        huge.AsSpan().Fill((byte)'a');
        var writing = Task.Run(async () =>
        {
            try
            {
                await raw.SendAsync(huge);
            }
            catch (IOException)
            {
                // The server closes while we are still sending: expected.
            }
        });
        var frames = await raw.ReadUntilClosedAsync();
        await writing.WaitAsync(TestServer.Patience);

        Assert.Single(frames);
        frames[0].AssertError(ErrorCodes.FrameTooLarge);

        // Never much more than the 4 KiB pre-login limit plus one read was held looking for a newline.
        Assert.InRange(server.Server.GetStatistics().PeakUnparsedBytes, 1, 4096 + 8192);
        await server.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "the connection is gone");
    }

    [Fact]
    public async Task FramesSplitAcrossWrites_AndSeveralInOneWrite_AreAllAnsweredInOrder()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        raw.Socket.NoDelay = true;
        await raw.ReadFrameAsync();

        // Two whole frames and the start of a third in one write, then the rest a byte at a time:
        // the server holds the unfinished line between reads and gives its buffer back after.
        await raw.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"id\":1}\n{\"type\":\"ping\",\"id\":2}\r\n{\"type\":\"pi"));
        foreach (var b in Encoding.UTF8.GetBytes("ng\",\"id\":3}\n"))
        {
            await raw.SendAsync([b]);
        }

        var answers = new[] { await raw.ReadFrameAsync(), await raw.ReadFrameAsync(), await raw.ReadFrameAsync() };

        Assert.Equal([1, 2, 3], answers.Select(a => a.GetProperty("re").GetInt32()));
        Assert.All(answers, a => Assert.Equal("pong", a.Type()));
    }

    [Fact]
    public async Task LineJustOverTheLimit_IsRefused_EvenWhenItsNewlineCameInTheSameRead()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        var padding = new string('x', 4096);
        await raw.SendLineAsync($$"""{"type":"ping","pad":"{{padding}}"}""");
        var frames = await raw.ReadUntilClosedAsync();

        Assert.Equal([ErrorCodes.FrameTooLarge], frames.Select(f => f.Code()));
    }

    [Fact]
    public async Task AfterLogin_TheLargerFrameLimitApplies()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        var text = new string('é', 20_000);
        var receipt = await alice.BroadcastAsync(text);
        var message = await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        Assert.Equal(1, receipt.Recipients);
        Assert.Equal(text, ((Client.ChatMessage)message).Text);
    }

    [Fact]
    public async Task ALoginWithAPeerPortThatIsNotANumber_IsServedNormally_NotCutOffWithAServerError()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"signup","id":1,"user":"alice","password":"correct horse battery"}""");
        await raw.ReadFrameAsync();

        await raw.SendLineAsync("""{"type":"login","id":2,"user":"alice","password":"correct horse battery","peer":{"port":[{"b":null}]}}""");
        var welcome = await raw.ReadFrameAsync("welcome");

        Assert.Equal("alice", welcome.Str("user"));
        Assert.Empty(server.Events.OfType<Server.ServerErrorEvent>());
    }

    [Fact]
    public async Task Logout_ClosesTheConnection_AndTheServerForgetsTheClient()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");

        await alice.LogoutAsync();
        var gone = await server.WaitForEventAsync<Server.ClientDisconnectedEvent>(e => e.UserName == "alice");

        Assert.Equal("logout", gone.Reason);
        Assert.False(alice.IsConnected);
        await server.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "the connection count is zero");
    }
}
