using PeerChat.Core.Protocol;

namespace PeerChat.Core.Client;

/// <summary>
/// When and whether a dropped session logs in again: exponential backoff with full jitter (each
/// delay drawn evenly between zero and the current bound), so that the clients of a restarted
/// server do not all come back in the same instant, and the first retry comes quickly.
/// </summary>
public sealed record ReconnectPolicy
{
    /// <summary>The bound of the first delay; it doubles with each failed attempt.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The bound no delay exceeds, however many attempts failed.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts in a row before giving up; null retries until the session is closed.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>
    /// A connection that lasted this long starts the backoff over; a shorter one continues it, so a
    /// server that drops the session right after each login is not hammered.
    /// </summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock the delays are waited on (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the jitter comes from; a seeded one makes tests repeatable.</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>The bound of the delay before <paramref name="attempt"/> (1 for the first): FirstDelay doubled per earlier attempt, at most MaxDelay.</summary>
    public TimeSpan DelayBound(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);

        // Doubling stops at 2^30: past that the cap has long been reached, and the ticks would overflow.
        var doubled = FirstDelay.Ticks * (double)(1L << Math.Min(attempt - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(doubled, MaxDelay.Ticks));
    }

    /// <summary>
    /// The delay before <paramref name="attempt"/>: uniform in [0, <see cref="DelayBound"/>], but no
    /// less than what a <c>throttled</c> server asked for (<paramref name="retryAfter"/>).
    /// </summary>
    public TimeSpan NextDelay(int attempt, TimeSpan? retryAfter = null)
    {
        var jittered = TimeSpan.FromTicks((long)(Random.NextDouble() * DelayBound(attempt).Ticks));
        return retryAfter is { } wait && wait > jittered ? wait : jittered;
    }

    /// <summary>
    /// Whether a connection that ended for <paramref name="reason"/> (an error or notice code)
    /// should log in again. Not after <c>session_replaced</c> (another login of the same user took
    /// over: coming back would fight it), nor after a refusal that retrying cannot fix (the
    /// password changed, the server's certificate is not the pinned one, it speaks TLS or not).
    /// </summary>
    public static bool Reconnects(string reason) => reason is not (
        NoticeCodes.SessionReplaced or ErrorCodes.InvalidCredentials or ErrorCodes.CertificateRejected
        or ErrorCodes.TlsRequired or ErrorCodes.TlsUnavailable);

    public void Validate()
    {
        if (FirstDelay <= TimeSpan.Zero || MaxDelay < FirstDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), $"The reconnect delays must satisfy 0 < FirstDelay ({FirstDelay}) <= MaxDelay ({MaxDelay}).");
        }

        if (MaxAttempts is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), $"MaxAttempts must be at least 1 (or null for no bound), not {MaxAttempts}.");
        }
    }
}
