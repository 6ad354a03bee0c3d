using PeerChat.Core.Chat;
using PeerChat.Store.Sqlite;

namespace PeerChat.FaultHost;

/// <summary>
/// The "store" mode: appends to a message store from several senders at once, each in a room of
/// its own and one message at a time, and prints "ACK &lt;sender&gt; &lt;messageId&gt;" as each append
/// completes: from then on the message must survive anything, SIGKILL included.
/// </summary>
internal static class StoreAppender
{
    public static async Task RunAsync(string path, int senders, int perSender)
    {
        await using var store = SqliteMessageStore.Open(path, new MessageStoreSettings());
        Console.WriteLine("READY");
        var output = new object();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
        {
            var room = ConversationKey.ForRoom($"r{sender}");
            for (var i = 0; i < perSender; i++)
            {
                var message = new ChatMessage(MessageIds.Next(), room, $"sender{sender}", null, null, $"message {i}", null, null, DateTimeOffset.UtcNow);
                await store.AppendAsync(message);
                lock (output)
                {
                    Console.WriteLine($"ACK {sender} {message.MessageId}");
                }
            }
        })));
    }
}
