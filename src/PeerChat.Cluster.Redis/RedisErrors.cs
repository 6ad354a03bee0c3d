using StackExchange.Redis;

namespace PeerChat.Cluster.Redis;

/// <summary>
/// Which Redis failures mean "Redis cannot serve now" (unreachable, timed out, loading, a replica,
/// out of memory or disk) and which mean Redis ran the command and it failed: a script error, from a
/// bug or from data another version wrote. Both fail the request (store_unavailable on the wire),
/// but the log and the server's events say which, with Redis's own message.
/// </summary>
internal static class RedisErrors
{
    // Error codes Redis answers while it cannot serve for now, whatever the command.
    private static readonly string[] NotNow = ["LOADING", "BUSY", "MASTERDOWN", "READONLY", "MISCONF", "NOAUTH", "WRONGPASS", "OOM", "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS"];

    public static bool IsUnreachable(Exception ex) =>
        ex is RedisConnectionException or RedisTimeoutException || (ex is RedisServerException server && !IsError(server));

    /// <summary>Redis ran the command (or script) and answered an error.</summary>
    public static bool IsError(Exception ex) =>
        ex is RedisServerException && !NotNow.Any(code => ex.Message.StartsWith(code + " ", StringComparison.Ordinal) || InScript(ex.Message, code));

    // Redis 6 wraps a command's error inside a script: "ERR Error running script (call to f_...):
    // @user_script:7: -OOM command not allowed ..."; Redis 7 answers the command's own code.
    private static bool InScript(string message, string code)
    {
        var script = message.IndexOf("script", StringComparison.Ordinal);
        return script >= 0 && message.IndexOf(": -" + code + " ", script, StringComparison.Ordinal) >= 0;
    }

    /// <summary>What the error says for the log: Redis's own message, which names the script's line.</summary>
    public static string Describe(Exception ex) =>
        $"Redis answered an error, a PeerChat script or command failing (a bug, or data another version wrote), not Redis being unreachable: {ex.Message}";
}
