using System.Globalization;
using System.Net;
using PeerChat.Core;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Server;
using StackExchange.Redis;

namespace PeerChat.Cluster.Redis;

/// <summary>
/// The login throttle and signup budget of a cluster: the rules of <c>LoginThrottle</c> and
/// <c>SignupBudget</c> (ChatServerOptions' Throttle* and SignupsPerAddressPerMinute) with their
/// counts in Redis (<see cref="AccountScripts"/>), so that failures on one node count on every
/// node. Each step is one script. When Redis cannot be reached every method throws
/// <see cref="StoreUnavailableException"/>, and the login is refused: it fails closed.
/// </summary>
public sealed class RedisLoginLimits : ILoginLimits
{
    private static readonly TimeSpan SignupWindow = TimeSpan.FromMinutes(1);

    // A name the rules refuse can be no account: all such names share one key, as in LoginThrottle.
    private const string InvalidName = "<invalid>";

    private readonly IDatabase _db;
    private readonly string _prefix;
    private readonly string _where;
    private readonly ChatServerOptions _options;

    private RedisLoginLimits(IDatabase db, string prefix, string where, ChatServerOptions options)
    {
        _db = db;
        _prefix = prefix;
        _where = where;
        _options = options;
    }

    /// <summary>The limits in the Redis of <paramref name="store"/>, with the rules of <paramref name="options"/>.</summary>
    public static RedisLoginLimits Over(RedisMessageStore store, ChatServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        return new RedisLoginLimits(store.Database, store.KeyPrefix, store.Where, options);
    }

    public async ValueTask<TimeSpan?> TryBeginLoginAsync(string userName, string addressGroup, CancellationToken cancellationToken = default)
    {
        var wait = (long)await Call(_db.ScriptEvaluateAsync(AccountScripts.BeginLogin, values: ThrottleArguments(userName, addressGroup, null)), cancellationToken).ConfigureAwait(false);
        return wait == 0 ? null : TimeSpan.FromMilliseconds(wait);
    }

    public async ValueTask EndLoginAsync(string userName, string addressGroup, bool? succeeded) =>
        await Call(_db.ScriptEvaluateAsync(AccountScripts.EndLogin, values: ThrottleArguments(userName, addressGroup, succeeded)), CancellationToken.None).ConfigureAwait(false);

    public async ValueTask<(object? Ticket, TimeSpan RetryAfter)> TryTakeSignupAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        var ticket = Guid.NewGuid().ToString("N");
        var wait = (long)await Call(_db.ScriptEvaluateAsync(AccountScripts.TakeSignup, values:
            [_prefix, address.ToString(), Now(), (long)SignupWindow.TotalMilliseconds, _options.SignupsPerAddressPerMinute, ticket]), cancellationToken).ConfigureAwait(false);
        return wait == 0 ? (ticket, TimeSpan.Zero) : (null, TimeSpan.FromMilliseconds(wait));
    }

    public async ValueTask GiveBackSignupAsync(IPAddress address, object ticket) =>
        await Call(_db.SortedSetRemoveAsync(_prefix + "ts:" + address, (string)ticket), CancellationToken.None).ConfigureAwait(false);

    private RedisValue[] ThrottleArguments(string userName, string addressGroup, bool? succeeded)
    {
        // Address groups never hold '|', so a pair key cannot be confused with another pair's.
        var name = PasswordRules.IsValidUserName(userName) ? userName.ToLowerInvariant() : InvalidName;
        var group = addressGroup.ToLowerInvariant();
        return
        [
            _prefix, "user:" + name, "pair:" + group + "|" + name, "addr:" + group, Now(),
            Milliseconds(_options.ThrottleWindow), Milliseconds(_options.ThrottleInitialDelay), Milliseconds(_options.ThrottleMaxDelay),
            _options.ThrottleFailures, _options.ThrottleUserFailures, succeeded switch { true => "1", false => "0", null => "" },
        ];
    }

    private string Now() => _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

    private Task<T> Call<T>(Task<T> command, CancellationToken cancellationToken) =>
        AccountCalls.CallAsync(command, $"The login throttle on Redis at {_where}", cancellationToken);
}
