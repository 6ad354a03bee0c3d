using PeerChat.Core.Chat;
using StackExchange.Redis;
using ClientInfo = PeerChat.Core.Protocol.ClientInfo;

namespace PeerChat.Cluster.Redis;

/// <remarks>
/// Filling a gap (docs/CLUSTER.md, "When Redis goes away"): a node cut off from Redis for longer
/// than the bus lasts finds, when it reads again, that the bus was trimmed past the last id it read.
/// What it missed is still in the conversation streams: it reads each conversation of its sessions
/// on from the last entry it delivered there, and the bus's own copies of those messages are then
/// skipped, as entry ids are compared. Only the reader calls these, one at a time.
/// </remarks>
public sealed partial class RedisChatBackplane
{
    // The last entry id read on the bus, per conversation: complete for every message on the bus
    // since _trackedSince, so a conversation missing here had none in that time.
    private readonly Dictionary<string, BusId> _cursors = new(StringComparer.Ordinal);
    private BusId _trackedSince;

    /// <summary>Raised after a refill with the number of messages it delivered (for tests and the log).</summary>
    internal event Action<int>? Refilled;

    // False when the conversation's cursor is already at or past the entry (a refill delivered it).
    private bool Advance(string conversation, BusId entry)
    {
        if (_cursors.TryGetValue(conversation, out var cursor) && entry.CompareTo(cursor) <= 0)
        {
            return false;
        }

        _cursors[conversation] = entry;
        return true;
    }

    private async ValueTask DeliverAsync(ChatMessage message, string conversation, string? queuedFor)
    {
        _receiver!.ReceiveMessage(message);

        // The sender's node saw the receiver offline (this node was cut off and swept) and queued
        // it; delivered live after all, it leaves the queue, or the next login would bring it again.
        if (queuedFor is not null && _own.ContainsKey(queuedFor))
        {
            Observe(_db.ScriptEvaluateAsync(BusScripts.Delivered, values: [_prefix, _node, queuedFor, message.MessageId]), "delivered");
        }

        // Relayed, not queued, to a user whom no node holds by now: they logged out (or their node
        // was swept) after the sender's node looked. Queued here, once, so that it is delivered or
        // queued, never only in the history. A refill knows only who is online now, not whether
        // the recipient had it live meanwhile (nothing records a live delivery): it queues too,
        // as a duplicate (dropped by its id) is better than a loss (docs/CLUSTER.md, "Offline").
        if (queuedFor is null && message.To is { } to && conversation.StartsWith('@')
            && !_receiver.Holds(to) && !_remote.ContainsKey(to))
        {
            await _store.QueueStoredAsync(to, conversation, message.MessageId).ConfigureAwait(false);
        }
    }

    private void AddRemote(ClientInfo client, BusId loginId, DateTimeOffset at)
    {
        var known = _remote.TryGetValue(client.UserName, out var before) && before.Client.ClientId == client.ClientId;
        _remote[client.UserName] = new RemoteSession(client, loginId);
        if (!known)
        {
            _receiver!.ReceivePresence(true, client.UserName, client.ClientId, at);
        }
    }

    private async Task RefillAsync(BusId firstKept)
    {
        await ReloadSessionsAsync(firstKept).ConfigureAwait(false);

        // The conversations of this node's sessions: everyone, their rooms, their direct ones.
        var users = _own.Keys.Select(Key).ToHashSet(StringComparer.Ordinal);
        var conversations = new HashSet<string>(StringComparer.Ordinal);
        if (users.Count > 0)
        {
            conversations.Add(ConversationKey.Everyone.Id);
            foreach (var room in await _store.ReadRoomsAsync().ConfigureAwait(false))
            {
                if (room.Members.Any(users.Contains))
                {
                    conversations.Add(ConversationKey.ForRoom(room.Room).Id);
                }
            }

            var directs = await Task.WhenAll(users.Select(u => _store.CallAsync(_db.SetMembersAsync(_store.KeyPrefix + "d:" + u)))).ConfigureAwait(false);
            conversations.UnionWith(directs.SelectMany(d => d).Select(c => (string)c!));
        }

        // A conversation without a cursor had no message on the bus since _trackedSince (nor
        // until the gap): its missed messages are the entries from then on, by the entry ids'
        // milliseconds, which come from the senders' clocks: ClockSkewAllowance covers them.
        var floor = Math.Max(_trackedSince.Milliseconds, _lastRead.Milliseconds - (long)_settings.ClockSkewAllowance.TotalMilliseconds);
        var pages = await Task.WhenAll(conversations.Select(c => ReadAfterAsync(c, _cursors.TryGetValue(c, out var cursor) ? "(" + cursor : floor.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ConfigureAwait(false);

        // Every other cursor is stale now (its messages in the gap are gone from the bus): those
        // conversations count as without one, from the first entry the bus still holds.
        var kept = conversations.Where(_cursors.ContainsKey).Select(c => (c, _cursors[c])).ToList();
        _cursors.Clear();
        foreach (var (conversation, cursor) in kept)
        {
            _cursors[conversation] = cursor;
        }

        if (firstKept.CompareTo(_trackedSince) > 0)
        {
            _trackedSince = firstKept;
        }

        // In entry order across conversations (each conversation's own order is exact).
        var delivered = 0;
        foreach (var (conversation, entry, fields) in pages.SelectMany(p => p).OrderBy(p => p.Entry))
        {
            if (!Advance(conversation, entry))
            {
                continue;
            }

            var message = MessageEntries.Read(MessageEntries.Conversation(conversation), fields);

            // This node's own messages were delivered here when they were sent.
            if (!IsOwn(message.FromClientId))
            {
                await DeliverAsync(message, conversation, QueuedFor(fields)).ConfigureAwait(false);
                delivered++;
            }
        }

        Refilled?.Invoke(delivered);
    }

    // The conversation's entries from start on, all of them (bounded by its retention), in order.
    private async Task<List<(string Conversation, BusId Entry, RedisResult[] Fields)>> ReadAfterAsync(string conversation, string start)
    {
        var entries = new List<(string, BusId, RedisResult[])>();
        RedisKey stream = _store.KeyPrefix + "c:" + conversation;
        while (true)
        {
            var page = (RedisResult[])(await _store.CallAsync(_db.ExecuteAsync("XRANGE", stream, start, "+", "COUNT", _settings.ReadBatch)).ConfigureAwait(false))!;
            foreach (var item in page)
            {
                var entry = (RedisResult[])item!;
                entries.Add((conversation, BusId.Parse((string)entry[0]!), (RedisResult[])entry[1]!));
            }

            if (page.Length < _settings.ReadBatch)
            {
                return entries;
            }

            start = "(" + entries[^1].Item2;
        }
    }

    // The logins and logouts in the gap are gone from the bus too: the other nodes' sessions are read again.
    private async Task ReloadSessionsAsync(BusId at)
    {
        var reply = (RedisResult[])(await _store.CallAsync(_db.ScriptEvaluateAsync(BusScripts.Sessions, values: [_prefix, _node])).ConfigureAwait(false))!;
        var now = DateTimeOffset.UtcNow;
        var live = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var k = 0; k + 1 < reply.Length; k += 2)
        {
            var node = (string)reply[k]!;
            foreach (var value in (RedisResult[])reply[k + 1]!)
            {
                var client = ReadSession((string)value!, node);
                live.Add(client.UserName);
                AddRemote(client, at, now);
            }
        }

        Forget(session => !live.Contains(session.Client.UserName), now);
    }

    // Client ids are c{n}.{node} (ChatServer.NextClientId).
    private bool IsOwn(string? clientId) =>
        clientId is not null && clientId.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0 && clientId.AsSpan(dot + 1).SequenceEqual(NodeName);

    private static string? QueuedFor(RedisResult[] fields)
    {
        for (var k = 0; k + 1 < fields.Length; k += 2)
        {
            if ((string?)fields[k] == "q")
            {
                return (string?)fields[k + 1];
            }
        }

        return null;
    }
}
