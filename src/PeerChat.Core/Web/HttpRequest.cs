namespace PeerChat.Core.Web;

/// <summary>One HTTP/1.1 request head, as <see cref="HttpRequestParser"/> read it: names and values as sent (values Latin-1, trimmed).</summary>
internal sealed class HttpRequest(string method, string target, string version, IReadOnlyList<KeyValuePair<string, string>> headers)
{
    public string Method { get; } = method;

    /// <summary>The request target as sent: an origin-form path, with its query if any.</summary>
    public string Target { get; } = target;

    /// <summary>The target without its query.</summary>
    public string Path => Target.IndexOf('?') is var query and >= 0 ? Target[..query] : Target;

    /// <summary><c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</summary>
    public string Version { get; } = version;

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; } = headers;

    /// <summary>The value of the header <paramref name="name"/> (any case); null when absent. Several are joined with commas, as HTTP allows for lists.</summary>
    public string? this[string name]
    {
        get
        {
            string? value = null;
            foreach (var (key, v) in Headers)
            {
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = value is null ? v : value + ", " + v;
                }
            }

            return value;
        }
    }

    /// <summary>How many times the header <paramref name="name"/> was sent.</summary>
    public int Count(string name) => Headers.Count(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when the comma-separated header <paramref name="name"/> lists <paramref name="token"/> (any case).</summary>
    public bool HasToken(string name, string token) =>
        this[name] is { } value && value.Split(',', StringSplitOptions.TrimEntries).Any(t => string.Equals(t, token, StringComparison.OrdinalIgnoreCase));
}
