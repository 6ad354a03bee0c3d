using System.Net;

namespace PeerChat.Core.Server;

/// <summary>
/// Where the login throttle and the signup budget keep their counts: in this process (the default,
/// <see cref="LoginThrottle"/> and <see cref="SignupBudget"/>), or in a cluster's Redis, so that
/// failures on one node count on every node. The rules are the same either way (see those classes).
/// Any method may throw <see cref="Chat.StoreUnavailableException"/> when the counts cannot be
/// reached: a login is then refused, never let through unchecked.
/// </summary>
public interface ILoginLimits
{
    /// <summary>
    /// Starts a login attempt on <paramref name="userName"/> from <paramref name="addressGroup"/>:
    /// null when it may go on (and must be ended with <see cref="EndLoginAsync"/>), else how long to wait.
    /// </summary>
    ValueTask<TimeSpan?> TryBeginLoginAsync(string userName, string addressGroup, CancellationToken cancellationToken = default);

    /// <summary>Ends an attempt begun with <see cref="TryBeginLoginAsync"/>: true succeeded, false failed, null undecided.</summary>
    ValueTask EndLoginAsync(string userName, string addressGroup, bool? succeeded);

    /// <summary>Counts a signup from <paramref name="address"/>: Ticket names it for <see cref="GiveBackSignupAsync"/>; null Ticket with the time until the next may come.</summary>
    ValueTask<(object? Ticket, TimeSpan RetryAfter)> TryTakeSignupAsync(IPAddress address, CancellationToken cancellationToken = default);

    /// <summary>Forgets a signup counted by <see cref="TryTakeSignupAsync"/>: it made no account.</summary>
    ValueTask GiveBackSignupAsync(IPAddress address, object ticket);
}

/// <summary>The limits of one process: today's <see cref="LoginThrottle"/> and <see cref="SignupBudget"/>, with nothing to wait for.</summary>
internal sealed class LocalLoginLimits(LoginThrottle throttle, SignupBudget signups) : ILoginLimits
{
    public ValueTask<TimeSpan?> TryBeginLoginAsync(string userName, string addressGroup, CancellationToken cancellationToken = default) =>
        new(throttle.TryBegin(userName, addressGroup, out var retryAfter) ? null : retryAfter);

    public ValueTask EndLoginAsync(string userName, string addressGroup, bool? succeeded)
    {
        throttle.End(userName, addressGroup, succeeded);
        return ValueTask.CompletedTask;
    }

    public ValueTask<(object? Ticket, TimeSpan RetryAfter)> TryTakeSignupAsync(IPAddress address, CancellationToken cancellationToken = default) =>
        new(signups.TryTake(address, out var retryAfter, out var taken) ? (taken, TimeSpan.Zero) : (null, retryAfter));

    public ValueTask GiveBackSignupAsync(IPAddress address, object ticket)
    {
        signups.GiveBack(address, (LinkedListNode<DateTimeOffset>)ticket);
        return ValueTask.CompletedTask;
    }
}
