using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// The idle rule over several windows, on a fake clock: these were Pester tests that waited real
/// seconds (one Pester smoke test of the rule is left, in Messaging.Tests.ps1).
/// </summary>
public sealed class IdleRuleTests
{
    [Fact]
    public async Task ASessionSendingOnlyDirectMessages_StaysWindowAfterWindow_WhileASilentOneIsDropped()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock });
        var dozy = await server.LoginAsync("dozy");
        // One clock for all: the ear checks the expiry of the server's link tokens on its own.
        var ear = await server.LoginAsync("ear", new ChatClientOptions { TimeProvider = clock });
        var whisperer = await server.LoginAsync("whisperer", new ChatClientOptions { TimeProvider = clock });

        // Each window the whisperer sends MinMessages (2) direct messages, which the server learns of
        // only through its activity reports; the ear keeps itself in with requests. The first window
        // drops dozy, the next two show the whisperer staying.
        var routes = new List<MessageRoute>();
        var reported = 0;
        for (var window = 1; window <= 3; window++)
        {
            for (var i = 0; i < 2; i++)
            {
                routes.Add((await whisperer.SendAsync("ear", $"psst {window}.{i}", route: RoutePreference.Direct)).Route);
            }

            // Only the whisperer asks the server for links (again each window: the idle link closes).
            reported += 2;
            await server.WaitUntilAsync(
                () => Messages(server, "whisperer") == server.Server.GetStatistics().DirectConnectionsBrokered + reported,
                $"the whisperer's direct messages of window {window} are reported");
            await ear.ListAsync();
            await ear.ListAsync();
            clock.Advance(TimeSpan.FromMinutes(30));
            if (window == 1)
            {
                await dozy.Completion.WaitAsync(TestServer.Patience);
            }
        }

        var online = await ear.ListAsync();
        var dropped = await server.WaitForEventAsync<ClientIdleDroppedEvent>();

        Assert.All(routes, route => Assert.Equal(MessageRoute.Direct, route));
        Assert.Equal(NoticeCodes.IdleTimeout, dozy.CloseReason!.Code);
        Assert.Equal("dozy", dropped.UserName);
        Assert.Equal(["ear", "whisperer"], online.Select(c => c.UserName).Order());
        Assert.True(whisperer.IsConnected);
        Assert.Null(whisperer.CloseReason);
    }

    private static int Messages(TestServer server, string userName) =>
        server.Server.GetClients().Single(c => c.UserName == userName).Messages;
}
