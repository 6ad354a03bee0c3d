using System.Text.Json;
using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>A server started without a message store: a relay as before, which says clearly that rooms, history and offline delivery are off.</summary>
public sealed class NoMessageStoreTests
{
    [Fact]
    public async Task Hello_NamesNoneOfRoomsHistoryOffline()
    {
        await using var server = await TestServer.StartAsync();
        using var raw = server.ConnectRaw();

        var hello = await raw.ReadFrameAsync("hello");

        Assert.Equal(["activity"], hello.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        Assert.False(hello.TryGetProperty("history", out _), $"hello names history limits: {hello}");
    }

    [Theory]
    [InlineData("""{"type":"join","id":1,"room":"ops"}""")]
    [InlineData("""{"type":"leave","id":1,"room":"ops"}""")]
    [InlineData("""{"type":"rooms","id":1}""")]
    [InlineData("""{"type":"broadcast","id":1,"room":"ops","text":"hi"}""")]
    [InlineData("""{"type":"history","id":1}""")]
    [InlineData("""{"type":"history","id":1,"with":"bob","limit":5}""")]
    [InlineData("""{"type":"mark_read","id":1,"upTo":"m1"}""")]
    [InlineData("""{"type":"conversations","id":1}""")]
    [InlineData("""{"type":"received","id":1,"upTo":"m1"}""")]
    public async Task StoreRequests_AreAnsweredStoreDisabled_AndTheConnectionStays(string request)
    {
        await using var server = await TestServer.StartAsync();
        await server.LoginAsync("bob");
        using var raw = await server.LoginRawAsync("alice");

        await raw.SendLineAsync(request);
        var answer = await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"ping","id":2}""");

        answer.AssertError(ErrorCodes.StoreDisabled);
        Assert.Equal(1, answer.GetProperty("re").GetInt32());
        Assert.Equal("pong", (await raw.ReadFrameAsync()).Type());
    }

    [Fact]
    public async Task Send_ToARegisteredUserOffline_IsUserOffline_ToAnUnknownName_NoSuchUser()
    {
        await using var server = await TestServer.StartAsync();
        var bob = await server.LoginAsync("bob");
        await bob.LogoutAsync();
        using var raw = await server.LoginRawAsync("alice");

        await raw.SendLineAsync("""{"type":"send","id":1,"to":"BOB","text":"later?"}""");
        var offline = await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"send","id":2,"to":"ghost","text":"anyone?"}""");
        var unknown = await raw.ReadFrameAsync();

        offline.AssertError(ErrorCodes.UserOffline);
        unknown.AssertError(ErrorCodes.NoSuchUser);
    }

    [Fact]
    public async Task MessageIds_AreUniqueForEver_NotACounterPerProcess()
    {
        var ids = new List<string>();
        for (var run = 0; run < 2; run++)
        {
            await using var server = await TestServer.StartAsync();
            var bob = await server.LoginAsync("bob");
            var alice = await server.LoginAsync("alice");
            ids.Add((await alice.BroadcastAsync("one")).MessageId);
            ids.Add((await alice.SendAsync("bob", "two", route: Client.RoutePreference.Relay)).MessageId);
        }

        Assert.All(ids, id => Assert.True(id.Length == MessageIds.Length && MessageIds.IsWellFormed(id), $"not a lasting id: {id}"));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
