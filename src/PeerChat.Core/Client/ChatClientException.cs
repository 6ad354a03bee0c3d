namespace PeerChat.Core.Client;

/// <summary>
/// A request failed: <see cref="Code"/> is the protocol's error code (<c>invalid_credentials</c>,
/// <c>server_full</c>, …) or a client-side one (<c>connection_closed</c>, <c>timeout</c>).
/// </summary>
public sealed class ChatClientException : Exception
{
    public ChatClientException(string code, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        RetryAfter = retryAfter;
    }

    public string Code { get; }

    /// <summary>For <c>throttled</c> and <c>rate_limited</c>: how long to wait.</summary>
    public TimeSpan? RetryAfter { get; }
}
