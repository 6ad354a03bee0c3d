using System.Globalization;
using PeerChat.Core.Chat;
using StackExchange.Redis;

namespace PeerChat.Cluster.Redis;

/// <summary>A message as a stream entry has it (fields in docs/CLUSTER.md), and back. A null field is left out.</summary>
internal static class MessageEntries
{
    /// <summary>The entry's fields and values, in order, for XADD; <paramref name="queuedFor"/> is the user it is queued for.</summary>
    public static List<RedisValue> Fields(ChatMessage message, string? queuedFor)
    {
        var fields = new List<RedisValue>(18);
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                fields.Add(name);
                fields.Add(value);
            }
        }

        Add("i", message.MessageId);
        Add("f", message.From);
        Add("fc", message.FromClientId);
        Add("t", message.To);
        Add("x", message.Text);
        Add("d", message.Data);
        Add("di", message.DirectId);
        Add("s", Ticks(message.SentAt));
        Add("q", queuedFor);
        return fields;
    }

    /// <summary>SentAt as stored: UTC ticks in 19 digits, so that scripts compare them as text in time order.</summary>
    public static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>SentAt's millisecond, the start of its entry id (never before the epoch: entry ids are not negative).</summary>
    public static string Milliseconds(DateTimeOffset at) => Math.Max(0, at.ToUnixTimeMilliseconds()).ToString(CultureInfo.InvariantCulture);

    /// <summary>A message from the flat field list a script returned.</summary>
    public static ChatMessage Read(ConversationKey conversation, RedisResult fields) => Read(conversation, (RedisResult[])fields!);

    /// <summary>A message from a flat field list; fields that are not a message's are passed over.</summary>
    public static ChatMessage Read(ConversationKey conversation, RedisResult[] values)
    {
        string? id = null, from = null, fromClient = null, to = null, text = null, data = null, directId = null, sentAt = null;
        for (var k = 0; k + 1 < values.Length; k += 2)
        {
            var value = (string?)values[k + 1];
            switch ((string?)values[k])
            {
                case "i": id = value; break;
                case "f": from = value; break;
                case "fc": fromClient = value; break;
                case "t": to = value; break;
                case "x": text = value; break;
                case "d": data = value; break;
                case "di": directId = value; break;
                case "s": sentAt = value; break;
            }
        }

        if (id is null || from is null || text is null || sentAt is null)
        {
            throw new InvalidDataException($"A stream entry of {conversation} lacks a message's id, sender, text or time.");
        }

        return new ChatMessage(id, conversation, from, fromClient, to, text, data, directId, new DateTimeOffset(long.Parse(sentAt, CultureInfo.InvariantCulture), TimeSpan.Zero));
    }

    /// <summary>A conversation key as stored; a key this version cannot parse was not written by PeerChat.</summary>
    public static ConversationKey Conversation(string key) =>
        ConversationKey.TryParse(key, out var conversation) ? conversation : throw new InvalidDataException($"The Redis store holds a conversation key '{key}' that is not one.");
}
