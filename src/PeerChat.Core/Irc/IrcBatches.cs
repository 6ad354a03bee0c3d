namespace PeerChat.Core.Irc;

/// <summary>
/// IRCv3 batches (the <c>batch</c> capability): reference tags unique on one connection, and the
/// lines that open and close a batch. One instance per connection; safe from several threads.
/// </summary>
public sealed class IrcBatches
{
    private long _next;

    /// <summary>A new reference tag: letters and digits only, never one this connection used before.</summary>
    public string NextReference() => "b" + Interlocked.Increment(ref _next).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The line that opens a batch: <c>:server BATCH +ref type params...</c> (without CRLF).</summary>
    public static string Start(string serverName, string reference, string type, params ReadOnlySpan<string> parameters)
    {
        var line = $":{serverName} BATCH +{reference} {type}";
        foreach (var parameter in parameters)
        {
            line += " " + parameter;
        }

        return line;
    }

    /// <summary>The line that closes a batch (without CRLF).</summary>
    public static string End(string serverName, string reference) => $":{serverName} BATCH -{reference}";
}
