using System.Collections.Concurrent;
using PeerChat.Core.Accounts;

namespace PeerChat.Core.Client.Direct;

/// <summary>
/// The tokens a receiver was told to expect (<c>peer_expect</c> from its server). A token is good
/// once, before it expires, from the user named with it. One that has not been announced yet is
/// held for a short while, since the server's <c>peer_expect</c> and the peer's connection race.
/// </summary>
internal sealed class PeerTokenBook
{
    private readonly ConcurrentDictionary<string, Expectation> _expected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _used = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private TaskCompletionSource _announced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PeerTokenBook(TimeProvider clock) => _clock = clock;

    private sealed record Expectation(string From, DateTimeOffset ExpiresAt);

    public void Expect(string token, string from, DateTimeOffset expiresAt)
    {
        Prune();
        _expected[token] = new Expectation(from, expiresAt);
        Interlocked.Exchange(ref _announced, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// Uses up <paramref name="token"/> for a connection that says it is from <paramref name="from"/>;
    /// false (with the reason) when it is unknown after <paramref name="hold"/>, used, expired or another user's.
    /// </summary>
    public async Task<(bool Ok, string Reason)> TryRedeemAsync(string token, string from, TimeSpan hold, CancellationToken cancellationToken)
    {
        var deadline = _clock.GetUtcNow() + hold;
        while (true)
        {
            if (_used.ContainsKey(token))
            {
                return (false, "the token was already used");
            }

            var announced = Volatile.Read(ref _announced).Task;
            if (_expected.TryRemove(token, out var expectation))
            {
                _used[token] = expectation.ExpiresAt;
                if (_clock.GetUtcNow() >= expectation.ExpiresAt)
                {
                    return (false, "the token has expired");
                }

                return SameUser(expectation.From, from) ? (true, string.Empty) : (false, "the token was issued to another user");
            }

            var remaining = deadline - _clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return (false, "the token is unknown");
            }

            await announced.WaitAsync(remaining, _clock, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static bool SameUser(string a, string b) => PasswordRules.UserNameComparer.Equals(a, b);

    /// <summary>Forgets expectations and used tokens past their expiry, so the book stays small.</summary>
    private void Prune()
    {
        var now = _clock.GetUtcNow();
        foreach (var (token, expectation) in _expected)
        {
            if (expectation.ExpiresAt < now)
            {
                _expected.TryRemove(token, out _);
            }
        }

        foreach (var (token, expiresAt) in _used)
        {
            if (expiresAt < now)
            {
                _used.TryRemove(token, out _);
            }
        }
    }
}
