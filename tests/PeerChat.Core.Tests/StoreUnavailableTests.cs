using System.Text.Json;
using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;

namespace PeerChat.Core.Tests;

/// <summary>A store that cannot write (full, by its size cap): senders are told, live chat goes on, and writing resumes when space returns.</summary>
public sealed class StoreUnavailableTests
{
    [Fact]
    public async Task AFullStore_AnswersStoreUnavailable_LiveRecipientsStillGetTheMessage_AndItResumes()
    {
        var clock = StoreFiles.Clock();
        var settings = new MessageStoreSettings { MaxSizeBytes = 256 * 1024, HistoryMaxAge = TimeSpan.FromDays(1), RetentionInterval = StoreFiles.NoBackgroundRetention, TimeProvider = clock };
        await using var server = await TestServer.StartWithStoreAsync(o => TestServer.WithoutFloodControl(o) with { TimeProvider = clock }, storeSettings: settings);
        await server.EnsureUserAsync("carol");
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");
        var text = new string('x', 2000);

        JsonElement? refused = null;
        for (var i = 0; i < 1000 && refused is null; i++)
        {
            var answer = await alice.RequestAsync(new { type = "broadcast", id = i, text });
            if (answer.Type() == "error")
            {
                refused = answer;
            }
        }

        Assert.NotNull(refused);
        refused.Value.AssertError(ErrorCodes.StoreUnavailable);
        var lostId = refused.Value.Str("messageId");
        Assert.Equal(1, refused.Value.GetProperty("recipients").GetInt32());
        JsonElement atBob;
        do
        {
            atBob = await bob.ReadFrameAsync("message");
        }
        while (atBob.Str("messageId") != lostId);

        var failed = await server.WaitForEventAsync<MessageStoreFailedEvent>();
        var toOffline = await alice.RequestAsync(new { type = "send", id = "offline", to = "carol", text });
        var stillLive = await alice.RequestAsync(new { type = "send", id = "live", to = "bob", text = "hello bob " + text });
        var liveAtBob = await bob.ReadFrameAsync("message");
        var history = await alice.RequestAsync(new { type = "history", id = "read", limit = 1 });

        toOffline.AssertError(ErrorCodes.StoreUnavailable);
        Assert.False(toOffline.TryGetProperty("messageId", out _), $"an offline message that was not accepted has an id: {toOffline}");
        stillLive.AssertError(ErrorCodes.StoreUnavailable);
        Assert.Equal(("hello bob " + text, stillLive.Str("messageId")), (liveAtBob.Str("text"), liveAtBob.Str("messageId")));
        Assert.Equal("append", failed.Operation);
        Assert.Single(server.Events.OfType<MessageStoreFailedEvent>());
        Assert.Equal("history", history.Type());

        clock.Advance(TimeSpan.FromDays(2));
        await ((SqliteMessageStore)server.Server.Options.MessageStore!).RunRetentionAsync();
        var resumed = await alice.RequestAsync(new { type = "broadcast", id = "resumed", text = "space again" });
        await server.WaitForEventAsync<MessageStoreRecoveredEvent>();

        Assert.Equal("sent", resumed.Type());
    }
}
