using System.Net;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// Issue 11, finding 7: one address filled the server with logged-in sessions and connections held
/// open before login, and an honest client got <c>server_full</c>. Sessions are now capped per
/// address, and the last places go only to addresses with no connection waiting to log in.
/// </summary>
public sealed class SessionsPerAddressTests
{
    [Fact]
    public async Task OneAddressLoggingInEverySessionItCan_AndHoldingConnections_CannotKeepANewcomerOut()
    {
        await using var server = await TestServer.StartAsync(o => o with
        {
            // Dual mode: the attacker comes from 127.0.0.1, the newcomer from ::1, another address.
            ListenAddress = IPAddress.IPv6Any,
            MaxClients = 10,
            MaxSessionsPerAddress = 6,
            ReservedSlots = null,
        });

        // The attacker logs in as many accounts as it can; a refused login leaves its connection
        // open, waiting to log in, until the server takes no more connections from the address.
        var sessions = 0;
        var refusals = new List<string>();
        for (var i = 0; i < 20 && !refusals.Contains(ErrorCodes.TooManyConnections) && !refusals.Contains(ErrorCodes.ServerFull); i++)
        {
            try
            {
                await server.LoginAsync($"mallory{i}");
                sessions++;
            }
            catch (ChatClientException ex)
            {
                refusals.Add(ex.Code);
            }
        }

        await using var newcomer = await ChatClient.ConnectAsync("::1", server.Port, new ChatClientOptions { EnableDirect = false });
        await newcomer.SignUpAsync("newcomer", TestServer.Password);
        var welcome = await newcomer.LoginAsync("newcomer", TestServer.Password);

        Assert.Equal(6, sessions);
        Assert.Contains(ErrorCodes.TooManySessions, refusals);
        Assert.Equal(ErrorCodes.TooManyConnections, refusals[^1]);
        Assert.Equal("newcomer", welcome.UserName);
        Assert.StartsWith("[::1]:", welcome.Address);
    }

    [Fact]
    public async Task PastTheDefaultCap_ALoginGetsTooManySessions_ALogoutMakesRoom_AndAUserMayStillReplaceItsOwnSession()
    {
        var cap = new ChatServerOptions().MaxSessionsPerAddress;
        await using var server = await TestServer.StartAsync(o => o with { MaxSessionsPerAddress = cap, MaxClients = 50, MaxPendingPerAddress = 10 });
        var sessions = new List<ChatClient>();
        for (var i = 0; i < cap; i++)
        {
            sessions.Add(await server.LoginAsync($"user{i:00}"));
        }

        var extra = await server.ConnectAsync();
        await extra.SignUpAsync("extra", TestServer.Password);
        var refused = await Assert.ThrowsAsync<ChatClientException>(() => extra.LoginAsync("extra", TestServer.Password));

        // The user of a session that went stale logs in again from the same address: its new session replaces the old.
        var again = await server.ConnectAsync();
        var replacing = await again.LoginAsync("user00", TestServer.Password);
        await sessions[0].Completion.WaitAsync(TestServer.Patience);

        await sessions[1].LogoutAsync();
        await server.WaitUntilAsync(() => server.Server.LoggedInCount == cap - 1, "the logged-out session has left");
        var afterLogout = await extra.LoginAsync("extra", TestServer.Password);

        Assert.Equal(20, cap);
        Assert.Equal(ErrorCodes.TooManySessions, refused.Code);
        Assert.Contains($"{cap} sessions", refused.Message);
        Assert.Equal("user00", replacing.UserName);
        Assert.Equal(NoticeCodes.SessionReplaced, sessions[0].CloseReason?.Code);
        Assert.Equal("extra", afterLogout.UserName);
        Assert.Equal(cap, server.Server.LoggedInCount);
    }

    [Theory]
    [InlineData(nameof(ChatServerOptions.MaxSessionsPerAddress))]
    [InlineData(nameof(ChatServerOptions.ReservedSlots))]
    [InlineData(nameof(ChatServerOptions.FloodBytesBurst))]
    [InlineData(nameof(ChatServerOptions.FloodBytesRate))]
    [InlineData(nameof(ChatServerOptions.SendQueueSoftBytes))]
    [InlineData(nameof(ChatServerOptions.SendQueueSoftFrames))]
    public void TheNewLimits_OutOfRange_AreRefusedByName(string setting)
    {
        var defaults = new ChatServerOptions();
        var options = setting switch
        {
            nameof(ChatServerOptions.MaxSessionsPerAddress) => defaults with { MaxSessionsPerAddress = 0 },
            nameof(ChatServerOptions.ReservedSlots) => defaults with { ReservedSlots = defaults.MaxClients },
            nameof(ChatServerOptions.FloodBytesBurst) => defaults with { FloodBytesBurst = 0 },
            nameof(ChatServerOptions.FloodBytesRate) => defaults with { FloodBytesRate = 0 },
            nameof(ChatServerOptions.SendQueueSoftBytes) => defaults with { SendQueueSoftBytes = defaults.SendQueueBytes + 1 },
            _ => defaults with { SendQueueSoftFrames = 0 },
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(setting, error.ParamName);
    }
}
