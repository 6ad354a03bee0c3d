using System.Globalization;
using System.Net;
using PeerChat.Core;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.Core.Server;
using PeerChat.Store.Sqlite;

namespace PeerChat.FaultHost;

/// <summary>
/// The "server" mode: a real ChatServer on a SQLite message store, with real clients s0, s1, ...
/// each sending, one at a time, a broadcast to everyone then a message to room r, and printing
/// "ACK &lt;sender&gt; &lt;conversation&gt; &lt;messageId&gt;" when its `sent` receipt arrives: from then on the
/// message must survive anything, SIGKILL of this process included.
/// The "history" mode starts the same server on the same files and prints, through a client,
/// "HIST &lt;conversation&gt; &lt;messageId&gt;" for every message of everyone and of room r, then "END".
/// </summary>
internal static class ServerSenders
{
    private const string Password = "fault-test-password";

    public static async Task RunAsync(string messages, string users, int senders)
    {
        await using var server = Start(messages, users);
        var clients = new List<ChatClient>();
        for (var i = 0; i < senders; i++)
        {
            clients.Add(await LogInAsync(server.Port, $"s{i}"));
        }

        Console.WriteLine("READY");
        await Task.WhenAll(clients.Select((client, i) => SendAsync(client, i)));
    }

    public static async Task ReadHistoryAsync(string messages, string users)
    {
        await using (var server = Start(messages, users))
        {
            await using var client = await LogInAsync(server.Port, "s0");
            foreach (var (label, conversation) in new[] { ("*", ConversationRef.Everyone), ("#r", ConversationRef.ForRoom("r")) })
            {
                await foreach (var message in client.ReadHistoryAsync(conversation, new ChatHistoryQuery(Limit: 200), null))
                {
                    Console.WriteLine($"HIST {label} {message.MessageId}");
                }
            }
        }

        Console.WriteLine("END");
    }

    private static ChatServer Start(string messages, string users)
    {
        var options = new ChatServerOptions
        {
            ListenAddress = IPAddress.Loopback,
            Port = 0,
            HashIterations = 1,
            SignupsPerAddressPerMinute = 1_000_000,
            FloodBurst = 1_000_000,
            FloodRate = 1_000_000,
            MessageStore = SqliteMessageStore.Open(messages, new MessageStoreSettings()),
        };
        var server = new ChatServer(options, CsvUserStore.Open(users));
        server.Start();
        return server;
    }

    // Signs up on the first run; later runs find the account and only log in.
    private static async Task<ChatClient> LogInAsync(int port, string name)
    {
        var client = await ChatClient.ConnectAsync("127.0.0.1", port, new ChatClientOptions { EnableDirect = false });
        try
        {
            await client.SignUpAsync(name, Password);
        }
        catch (ChatClientException)
        {
            // Already signed up before a kill.
        }

        await client.LoginAsync(name, Password);
        try
        {
            await client.JoinAsync("r");
        }
        catch (ChatClientException)
        {
            // Already a member: membership is stored.
        }

        return client;
    }

    private static async Task SendAsync(ChatClient client, int sender)
    {
        for (var n = 0; ; n++)
        {
            var everyone = await client.BroadcastAsync($"s{sender} everyone {n}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACK {sender} * {everyone.MessageId}"));
            var room = await client.BroadcastAsync("r", $"s{sender} room {n}", null);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACK {sender} #r {room.MessageId}"));
        }
    }
}
