using System.Collections.Concurrent;
using PeerChat.Core.Accounts;

namespace PeerChat.Core.Chat;

/// <summary>
/// The chat itself, with no wire format and no sockets in it: who is online, rooms and their
/// members, where a message goes (everyone, a room, a user; online: delivered, offline: queued in
/// the store), and what history a user may read. Front ends (the peerchat/1 server, an IRC
/// gateway) hold <see cref="IChatSession"/>s and turn requests into calls here; results come back
/// as <see cref="ChatMessage"/>s and <see cref="ChatError"/>s, which each renders its own way.
/// </summary>
/// <remarks>Partial files by concern: sessions and presence here, then messages, rooms, and history.</remarks>
public sealed partial class ChatCore
{
    private readonly ConcurrentDictionary<string, IChatSession> _sessions = new(PasswordRules.UserNameComparer);

    // The sessions that asked for presence (the value is unused): only they are visited when
    // someone joins or leaves, so a storm of N logins does not cost N².
    private readonly ConcurrentDictionary<IChatSession, byte> _presenceWatchers = new(ReferenceEqualityComparer.Instance);
    private readonly IUserStore _users;
    private readonly TimeProvider _clock;

    // Null when not clustered: every cluster step below is then skipped.
    private readonly IChatBackplane? _backplane;

    // 1 while the store is failing: the failure is reported once, and its recovery once.
    private int _storeFailing;

    public ChatCore(ChatCoreSettings settings, IUserStore users, IMessageStore? store, IChatBackplane? backplane = null)
    {
        Settings = settings;
        _users = users;
        Store = store;
        _clock = settings.TimeProvider;
        _backplane = backplane;
        if (backplane is not null)
        {
            backplane.Failed += (operation, exception) => StoreFailedWith("cluster " + operation, exception);
            backplane.Recovered += StoreWorked;
        }
    }

    /// <summary>The store fails (the first failure after success): what was being done, and why.</summary>
    public event Action<string, Exception>? StoreFailed;

    /// <summary>The store works again after <see cref="StoreFailed"/>.</summary>
    public event Action? StoreRecovered;

    public ChatCoreSettings Settings { get; }

    /// <summary>Null when the chat is memory-only: rooms, history, offline queues and read markers are then off.</summary>
    public IMessageStore? Store { get; }

    public int OnlineCount => _sessions.Count;

    /// <summary>The online sessions, enumerated in place (no copy): one logging in or out meanwhile may or may not be seen.</summary>
    public IEnumerable<IChatSession> Sessions => _sessions.Select(static s => s.Value);

    /// <summary>The cluster this chat is one node of; null when not clustered.</summary>
    public IChatBackplane? Backplane => _backplane;

    /// <summary>Joins the cluster (when clustered) and reads the rooms from the store; call once, before the first session.</summary>
    public async ValueTask LoadAsync(CancellationToken cancellationToken = default)
    {
        // Membership changes read from the cluster wait for the rooms read here: the cluster's
        // reading starts first, so that no change made between the two is missed, and a change
        // already in the rooms read is applied twice, which changes nothing.
        await _membership.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_backplane is not null)
            {
                await _backplane.StartAsync(this, cancellationToken).ConfigureAwait(false);
            }

            if (Store is null)
            {
                return;
            }

            foreach (var room in await Store.ReadRoomsAsync(cancellationToken).ConfigureAwait(false))
            {
                _rooms.Add(room.Room, room.Members);
            }
        }
        catch when (_backplane is not null)
        {
            // Joined, or half joined, but not going to serve: leave again.
            await _backplane.StopAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _membership.Release();
        }
    }

    /// <summary>The online session of <paramref name="userName"/> (any case), or null.</summary>
    public IChatSession? Find(string userName) =>
        _sessions.TryGetValue(userName, out var session) && !session.IsClosing ? session : null;

    /// <summary>Whether <paramref name="userName"/> is online on this node or, in a cluster, on another.</summary>
    public bool IsOnline(string userName) => Find(userName) is not null || _backplane?.FindRemote(userName) is not null;

    /// <summary>
    /// Makes <paramref name="session"/> the one of its user, replacing an older one; false when it
    /// began closing meanwhile and is not registered after all.
    /// </summary>
    public bool Register(IChatSession session)
    {
        IChatSession? replaced = null;
        _sessions.AddOrUpdate(session.UserName, session, (_, old) =>
        {
            replaced = old;
            return session;
        });

        // The older session left the table just now: it ends whatever happens next, or it would
        // stay connected without being listed or reachable.
        if (replaced is not null && !ReferenceEquals(replaced, session))
        {
            replaced.Replace();
        }

        if (session.WantsPresence)
        {
            _presenceWatchers[session] = 0;
        }

        // A close that raced with this login has already run its Unregister before we
        // registered: undo the registration rather than keep a closing session.
        if (session.IsClosing)
        {
            // Nobody was told this one joined; but if it replaced an older session, that one has
            // now left (its own close found the table already changed and said nothing).
            _presenceWatchers.TryRemove(session, out _);
            if (_sessions.TryRemove(new KeyValuePair<string, IChatSession>(session.UserName, session))
                && replaced is not null && !ReferenceEquals(replaced, session))
            {
                AnnouncePresence(joined: false, replaced.UserName, replaced.SessionId, replaced);
                _backplane?.SessionEnded(replaced.UserName, replaced.SessionId);
            }

            return false;
        }

        AnnouncePresence(joined: true, session.UserName, session.SessionId, session);
        if (_backplane is not null)
        {
            _backplane.SessionStarted(session.Snapshot());

            // A close that ran its Unregister between the check above and this call published
            // its end before this start: publish the end again (it is idempotent by client id).
            if (!_sessions.TryGetValue(session.UserName, out var current) || !ReferenceEquals(current, session))
            {
                _backplane.SessionEnded(session.UserName, session.SessionId);
            }
        }

        return true;
    }

    /// <summary>A session that ends leaves at once, so nothing more is handed to it.</summary>
    public void Unregister(IChatSession session)
    {
        _presenceWatchers.TryRemove(session, out _);
        if (_sessions.TryRemove(new KeyValuePair<string, IChatSession>(session.UserName, session)))
        {
            AnnouncePresence(joined: false, session.UserName, session.SessionId, session);
            _backplane?.SessionEnded(session.UserName, session.SessionId);
        }
    }

    /// <summary>Tells the presence watchers but <paramref name="subject"/> (the session itself; null for one on another node).</summary>
    private void AnnouncePresence(bool joined, string userName, string sessionId, IChatSession? subject, DateTimeOffset? at = null)
    {
        PresenceChange? change = null;
        foreach (var (watcher, _) in _presenceWatchers)
        {
            if (!ReferenceEquals(watcher, subject))
            {
                change ??= new PresenceChange(joined, userName, sessionId, at ?? _clock.GetUtcNow());
                watcher.Notify(change);
            }
        }
    }

    /// <summary>
    /// The account's own spelling of <paramref name="userName"/>, or null when there is no such account.
    /// Async because a cluster's accounts may be read from Redis: a blocked thread-pool thread per
    /// lookup would starve the threads Redis's answers need. Throws StoreUnavailableException when
    /// the accounts cannot be read.
    /// </summary>
    private async ValueTask<string?> AccountNameAsync(string userName) =>
        (await _users.FindAsync(userName).ConfigureAwait(false))?.UserName;

    /// <summary>Names the store gave (lower case), each as its account spells it when it still exists, else as given.</summary>
    private async ValueTask<string[]> DisplayNamesAsync(IEnumerable<string> storedNames)
    {
        // All at once: a cluster's store reads the accounts it has not cached in one round of Redis calls.
        return await Task.WhenAll(storedNames.Select(async storedName =>
        {
            try
            {
                return await AccountNameAsync(storedName).ConfigureAwait(false) ?? storedName;
            }
            catch (StoreUnavailableException)
            {
                // Only for showing: the stored spelling will do.
                return storedName;
            }
        })).ConfigureAwait(false);
    }

    private void StoreWorked()
    {
        if (Volatile.Read(ref _storeFailing) != 0 && Interlocked.Exchange(ref _storeFailing, 0) != 0)
        {
            StoreRecovered?.Invoke();
        }
    }

    private void StoreFailedWith(string operation, Exception exception)
    {
        if (Interlocked.Exchange(ref _storeFailing, 1) == 0)
        {
            StoreFailed?.Invoke(operation, exception);
        }
    }
}
