using System.Collections.Concurrent;
using System.Globalization;
using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;
using StackExchange.Redis;
using ClientInfo = PeerChat.Core.Protocol.ClientInfo;

namespace PeerChat.Cluster.Redis;

/// <summary>
/// A node of a cluster on Redis (docs/CLUSTER.md): publishes what this node accepted on the bus
/// stream <c>{prefix}bus</c> and reads what the others published, from the last id it read, so that
/// a node cut off from Redis for a while reads on where it stopped (nothing skipped, nothing twice).
/// StackExchange.Redis cannot block in XREAD on its shared connection, so a Pub/Sub message on
/// <c>{prefix}wake</c> wakes the reader, and it reads at least every PollInterval besides. Messages
/// go on the bus in the store's append script (<see cref="PublishesAppends"/>): one script per
/// message, whatever the number of receivers and nodes. Presence: a heartbeat key per node, and
/// each node's sessions in <c>{prefix}on:{node}</c>.
/// </summary>
public sealed partial class RedisChatBackplane : IChatBackplane, IAsyncDisposable
{
    /// <summary>
    /// The operation a failure is reported under when a write other than the heartbeat (a login,
    /// a message's append, a join ...) found the node's name held by another run of it.
    /// </summary>
    internal const string NameTakenOperation = "node name taken";

    private readonly RedisMessageStore _store;
    private readonly IDatabase _db;
    private readonly RedisValue _prefix;
    private readonly RedisValue _node;
    private readonly ClusterSettings _settings;
    private readonly RedisChannel _wakeChannel;

    // The sessions on other nodes, by user name (any case).
    private readonly ConcurrentDictionary<string, RemoteSession> _remote = new(StringComparer.OrdinalIgnoreCase);

    // This node's sessions, by user name, and whether the reader has seen their login on the bus.
    private readonly ConcurrentDictionary<string, OwnSession> _own = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _wake = NewSignal();
    private Task _reading = Task.CompletedTask;
    private Task _beating = Task.CompletedTask;
    private IBackplaneReceiver? _receiver;
    private BusId _lastRead;

    // The heartbeat's last sweep, for the reader to apply between entries (one thread changes presence).
    private Sweep? _sweep;
    private int _failing;
    private int _stopped;

    // Whether Enter made this node the live one of its name: only then does stopping leave.
    private bool _entered;

    // A login or logout that did not reach Redis: the next heartbeat publishes the sessions anew.
    // Taken while publishing them, so that a resync and a login or logout reach Redis in the order
    // their view of the sessions was taken.
    private int _presenceLost;
    private readonly Lock _announcing = new();

    // This run's heartbeat value: a node of the same name that entered after this one's heartbeat
    // expired holds another, and this one then stops rather than take the name back.
    private readonly string _run = Guid.NewGuid().ToString("N");
    private NodeNameInUseException? _displaced;

    // Sessions a resync found replaced by a newer one on another node: the reader ends them.
    private readonly ConcurrentQueue<(string User, string ClientId)> _replaced = new();

    private RedisChatBackplane(RedisMessageStore store, string nodeName, ClusterSettings settings)
    {
        _store = store;
        _db = store.Database;
        _prefix = store.KeyPrefix;
        _node = nodeName;
        NodeName = nodeName;
        _settings = settings;
        _wakeChannel = RedisChannel.Literal(store.KeyPrefix + "wake");
    }

    public string NodeName { get; }

    public bool PublishesAppends => true;

    public event Action<string, Exception>? Failed;

    public event Action? Recovered;

    public IEnumerable<ClientInfo> RemoteClients => _remote.Select(static r => r.Value.Client);

    public int RemoteClientCount => _remote.Count;

    /// <summary>The backplane of node <paramref name="nodeName"/> on <paramref name="store"/>'s Redis and key prefix; it joins the cluster in <see cref="StartAsync"/>.</summary>
    public static RedisChatBackplane Create(RedisMessageStore store, string nodeName, ClusterSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        settings ??= new ClusterSettings();
        settings.Validate();
        return new RedisChatBackplane(store, nodeName, settings);
    }

    public ClientInfo? FindRemote(string user) => _remote.TryGetValue(user, out var session) ? session.Client : null;

    public async Task StartAsync(IBackplaneReceiver receiver, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        _receiver = receiver;

        // Subscribed first: a wake-up published while the rest starts is not lost.
        try
        {
            await _store.Connection.GetSubscriber().SubscribeAsync(_wakeChannel, (_, from) =>
            {
                if (from != _node)
                {
                    _wake.TrySetResult();
                }
            }).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new StoreUnavailableException($"The cluster's Redis at {_store.Where} is unavailable: {ex.Message}", ex);
        }

        var entered = (RedisResult[])(await _store.CallAsync(
            _db.ScriptEvaluateAsync(BusScripts.Enter, values: [_prefix, _node, TtlMilliseconds, _settings.BusMaxLength, _run]), cancellationToken).ConfigureAwait(false))!;
        if ((string?)entered[0] == "inuse")
        {
            throw new NodeNameInUseException(NodeName, _store.Where, TimeSpan.FromMilliseconds((long)entered[1]));
        }

        _entered = true;
        _lastRead = BusId.Parse((string)entered[0]!);
        _trackedSince = _lastRead;
        for (var k = 1; k + 1 < entered.Length; k += 2)
        {
            var node = (string)entered[k]!;
            foreach (var value in (RedisResult[])entered[k + 1]!)
            {
                var client = ReadSession((string)value!, node);
                _remote[client.UserName] = new RemoteSession(client, _lastRead);
            }
        }

        _store.NameTaken = expiresIn => StopDisplaced(expiresIn, NameTakenOperation);
        _store.PublishAppendsAs(NodeName, _settings.BusMaxLength, _run);
        _reading = Task.Run(ReadLoopAsync, CancellationToken.None);
        _beating = Task.Run(HeartbeatLoopAsync, CancellationToken.None);
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await StopLoopsAsync().ConfigureAwait(false);
        try
        {
            // Refused (or never got that far): the heartbeat and users under this name are another node's.
            if (_entered)
            {
                await _store.CallAsync(_db.ScriptEvaluateAsync(BusScripts.Leave, values: [_prefix, _node, _settings.BusMaxLength, _run])).ConfigureAwait(false);
            }

            await _store.Connection.GetSubscriber().UnsubscribeAsync(_wakeChannel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StoreUnavailableException or RedisException)
        {
            // Redis is away: the heartbeat expires and the other nodes sweep this one instead.
            Fail("leave", ex);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    public void PublishMessage(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Displaced)
        {
            return;
        }

        RedisValue[] args = [_prefix, _node, _settings.BusMaxLength, message.Conversation.Id, _run, .. MessageEntries.Fields(message, queuedFor: null)];
        Observe(_db.ScriptEvaluateAsync(BusScripts.Message, values: args), "publish");
    }

    public void PublishRoomChange(string room, string user, bool joined)
    {
        if (!Displaced)
        {
            Observe(_db.ScriptEvaluateAsync(BusScripts.RoomChange, values: [_prefix, _node, _settings.BusMaxLength, joined ? "j" : "x", room, user, _run]), joined ? "join" : "leave");
        }
    }

    public void SessionStarted(ClientInfo client)
    {
        ArgumentNullException.ThrowIfNull(client);
        lock (_announcing)
        {
            var own = new OwnSession(client);
            _own[client.UserName] = own;
            Announce(own);
        }
    }

    public void SessionEnded(string user, string clientId)
    {
        lock (_announcing)
        {
            if (_own.TryGetValue(user, out var own) && own.Client.ClientId == clientId)
            {
                _own.TryRemove(new KeyValuePair<string, OwnSession>(user, own));
            }

            if (Displaced)
            {
                return;
            }

            Observe(_db.ScriptEvaluateAsync(BusScripts.Logout, values: [_prefix, _node, _settings.BusMaxLength, Key(user), clientId, _run]), "logout");
        }
    }

    public async Task ExpectPeerAsync(ClientInfo peer, PeerExpectation expectation)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(expectation);
        if (_displaced is { } displaced)
        {
            throw new StoreUnavailableException(displaced.Message, displaced);
        }

        RedisValue[] args =
        [
            _prefix, _node, _settings.BusMaxLength, peer.Node, Key(peer.UserName), peer.ClientId,
            expectation.From, expectation.FromClientId, expectation.Token, expectation.ExpiresAt.UtcTicks, _run,
        ];
        await _store.CallAsync(_db.ScriptEvaluateAsync(BusScripts.PeerExpect, values: args)).ConfigureAwait(false);
        Worked();
    }

    /// <summary>Raised after each read of the bus (for tests, which wait on it rather than sleep).</summary>
    internal event Action? Processed;

    /// <summary>Stops heartbeats and reading without leaving, as a killed process would (for tests).</summary>
    internal Task AbandonAsync()
    {
        Interlocked.Exchange(ref _stopped, 1);
        return StopLoopsAsync();
    }

    /// <summary>Publishes this node's sessions anew now, as the heartbeat does after a lost login or logout (for tests).</summary>
    internal Task ResyncNowAsync() => ResyncAsync();

    private long TtlMilliseconds => (long)_settings.HeartbeatTimeToLive.TotalMilliseconds;

    private bool Displaced => Volatile.Read(ref _displaced) is not null;

    // Sent now, before any await: a login and a logout of one session reach Redis in that order.
    private void Announce(OwnSession own)
    {
        if (!Displaced)
        {
            _ = AnnounceAsync(own, _db.ScriptEvaluateAsync(BusScripts.Login, values: [_prefix, _node, _settings.BusMaxLength, Key(own.Client.UserName), WriteSession(own.Client), _run]));
        }
    }

    // The login's bus id, once Redis has it: what a resync compares with another node's session of the user.
    private async Task AnnounceAsync(OwnSession own, Task<RedisResult> login)
    {
        if (await ObserveAsync(login, "login").ConfigureAwait(false) is { } id)
        {
            own.LoginId ??= (string?)id;
        }
    }

    private async Task StopLoopsAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _beating.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ReadLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var signal = Volatile.Read(ref _wake);
            try
            {
                await signal.Task.WaitAsync(_settings.PollInterval, _stop.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Reset before reading: a wake-up during the read brings another read.
            Interlocked.CompareExchange(ref _wake, NewSignal(), signal);
            try
            {
                await ReadAvailableAsync().ConfigureAwait(false);
                Worked();
            }
            catch (StoreUnavailableException ex)
            {
                // Redis is away: read on from the same id once it is back.
                Fail("read", ex);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                // Anything else (an entry this version cannot read) must not end the reading
                // unseen: it is reported, and read again at the next wake-up.
                Fail("read", ex);
            }

            Processed?.Invoke();
        }
    }

    private async Task ReadAvailableAsync()
    {
        if (Interlocked.Exchange(ref _sweep, null) is { } sweep)
        {
            ApplySweep(sweep);
        }

        while (_replaced.TryDequeue(out var replaced))
        {
            _receiver!.ReplaceSession(replaced.User, replaced.ClientId);
        }

        // Bounded: what is there now, not what keeps coming (the next wake-up reads that).
        for (var batches = 0; batches < 100 && !_stop.IsCancellationRequested; batches++)
        {
            var read = (RedisResult[])(await _store.CallAsync(
                _db.ScriptEvaluateAsync(BusScripts.Read, values: [_prefix, _node, _lastRead.ToString(), _settings.ReadBatch])).ConfigureAwait(false))!;
            if ((string?)read[0] is { Length: > 0 } firstKept)
            {
                // Trimmed past the last id read (cut off for longer than the bus lasts): what it
                // missed is refilled from the conversations before the bus is read on.
                await RefillAsync(BusId.Parse(firstKept)).ConfigureAwait(false);
            }

            for (var k = 1; k < read.Length; k++)
            {
                var entry = (RedisResult[])read[k]!;
                var id = BusId.Parse((string)entry[0]!);
                await ProcessAsync(id, (RedisResult[])entry[1]!).ConfigureAwait(false);
                _lastRead = id;
            }

            if (read.Length - 1 < _settings.ReadBatch)
            {
                break;
            }
        }
    }

    private async ValueTask ProcessAsync(BusId id, RedisResult[] fields)
    {
        string? kind = null, node = null, user = null, value = null, clientId = null, room = null, conversation = null, entryId = null, queuedFor = null, first = null;
        for (var k = 0; k + 1 < fields.Length; k += 2)
        {
            var text = (string?)fields[k + 1];
            switch ((string?)fields[k])
            {
                case "k": kind = text; break;
                case "n": node = text; break;
                case "u": user = text; break;
                case "v": value = text; break;
                case "c": (clientId, conversation) = (text, text); break;
                case "r": room = text; break;
                case "e": entryId = text; break;
                case "q": queuedFor = text; break;
                case "f": first = text; break;
            }
        }

        var receiver = _receiver!;
        var at = id.Time;
        if (node == NodeName)
        {
            if (kind == "m" && conversation is not null && entryId is not null)
            {
                Advance(conversation, BusId.Parse(entryId));
            }

            // This node's own login, read back: any login elsewhere read after it is the later one.
            // A resync's entry leaves the login id as it was (the on-hash keeps that one too).
            if (kind == "l" && user is not null && value is not null && _own.TryGetValue(user, out var own) && own.Client.ClientId == ClientIdOf(value))
            {
                own.LoginId ??= id.ToString();
                own.Seen = true;
            }

            return;
        }

        try
        {
            switch (kind)
            {
                case "m" when conversation is not null:
                    // Skipped when a refill after a gap delivered it already.
                    if (entryId is null || Advance(conversation, BusId.Parse(entryId)))
                    {
                        await DeliverAsync(MessageEntries.Read(MessageEntries.Conversation(conversation), fields), conversation, queuedFor).ConfigureAwait(false);
                    }

                    break;
                case "gone" when conversation is not null && entryId is not null:
                    Advance(conversation, BusId.Parse(entryId));
                    break;
                case "j" or "x" when room is not null && user is not null:
                    await receiver.ReceiveRoomChangeAsync(room, user, kind == "j", at).ConfigureAwait(false);
                    break;
                case "l" when value is not null && node is not null:
                    var client = ReadSession(value, node);
                    AddRemote(client, id, at);
                    if (_own.TryGetValue(client.UserName, out var older) && older.Seen)
                    {
                        receiver.ReplaceSession(older.Client.UserName, older.Client.ClientId);
                    }

                    break;
                case "o" when user is not null && clientId is not null:
                    if (_remote.TryGetValue(user, out var ended) && ended.Client.ClientId == clientId
                        && _remote.TryRemove(new KeyValuePair<string, RemoteSession>(user, ended)))
                    {
                        receiver.ReceivePresence(false, ended.Client.UserName, clientId, at);
                    }

                    break;
                case "r" when node is not null:
                    Forget(session => session.Client.Node == node, at);
                    break;
                case "s" when node is not null:
                    // A resync: its logins (just read) renewed the sessions it still holds; the rest are gone.
                    var renewedFrom = string.IsNullOrEmpty(first) ? id : BusId.Parse(first);
                    Forget(session => session.Client.Node == node && session.LoginId.CompareTo(renewedFrom) < 0, at);
                    break;
                case "p":
                    PassOnPeerExpectation(fields, receiver);
                    break;
            }
        }
        catch (InvalidDataException ex)
        {
            // Not written by this version: reported, and read past.
            Fail("read", ex);
        }
    }

    // A sender on another node was brokered the endpoint of a session here (or on a third node: not ours to pass on).
    private void PassOnPeerExpectation(RedisResult[] fields, IBackplaneReceiver receiver)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var k = 0; k + 1 < fields.Length; k += 2)
        {
            values[(string)fields[k]!] = (string?)fields[k + 1];
        }

        if (values.GetValueOrDefault("t") != NodeName)
        {
            return;
        }

        if (values.GetValueOrDefault("u") is not { } user || values.GetValueOrDefault("c") is not { } clientId
            || values.GetValueOrDefault("f") is not { } from || values.GetValueOrDefault("fc") is not { } fromClientId
            || values.GetValueOrDefault("tk") is not { } token
            || !long.TryParse(values.GetValueOrDefault("ex"), NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            throw new InvalidDataException("A direct connection brokered through the cluster's Redis is not one this version reads.");
        }

        receiver.ReceivePeerExpectation(user, clientId, new PeerExpectation(from, fromClientId, token, new DateTimeOffset(expires, TimeSpan.Zero)));
    }

    private async Task HeartbeatLoopAsync()
    {
        var interval = _settings.HeartbeatInterval;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var beat = (RedisResult[])(await _store.CallAsync(_db.ScriptEvaluateAsync(BusScripts.Heartbeat, values: [_prefix, _node, TtlMilliseconds, _run])).ConfigureAwait(false))!;
                if ((string?)beat[0] == "inuse")
                {
                    StopDisplaced(TimeSpan.FromMilliseconds((long)beat[1]), "heartbeat");
                    return;
                }

                // The heartbeat had expired (Redis was away: the others may have swept this
                // node's users), or a login or logout was lost meanwhile: the sessions anew.
                if ((long)beat[0] == 0 | Interlocked.Exchange(ref _presenceLost, 0) != 0)
                {
                    await ResyncAsync().ConfigureAwait(false);
                    if (Displaced)
                    {
                        // Redis refused the resync: another run holds the name (StopDisplaced reported it).
                        return;
                    }
                }

                Volatile.Write(ref _sweep, new Sweep(BusId.Parse((string)beat[1]!), beat.Skip(2).Select(n => (string)n!).ToHashSet(StringComparer.Ordinal)));
                _wake.TrySetResult();
                Worked();
            }
            catch (Exception ex) when (ex is StoreUnavailableException || !_stop.IsCancellationRequested)
            {
                Fail("heartbeat", ex);
            }
        }
    }

    // Sessions of nodes no longer live go, unless they logged in after the sweep looked (a node that just started).
    private void ApplySweep(Sweep sweep) =>
        Forget(session => !sweep.LiveNodes.Contains(session.Client.Node!) && session.LoginId.CompareTo(sweep.At) <= 0, DateTimeOffset.UtcNow);

    private void Forget(Func<RemoteSession, bool> gone, DateTimeOffset at)
    {
        foreach (var (user, session) in _remote)
        {
            if (gone(session) && _remote.TryRemove(new KeyValuePair<string, RemoteSession>(user, session)))
            {
                _receiver!.ReceivePresence(false, session.Client.UserName, session.Client.ClientId, at);
            }
        }
    }

    private async Task ResyncAsync()
    {
        Task<RedisResult> resync;
        lock (_announcing)
        {
            var args = new List<RedisValue> { _prefix, _node, _settings.BusMaxLength, _run };
            foreach (var (_, own) in _own)
            {
                args.Add(Key(own.Client.UserName));
                args.Add(WriteSession(own.Client));
                args.Add(own.LoginId ?? "");
            }

            resync = _db.ScriptEvaluateAsync(BusScripts.Resync, values: [.. args]);
        }

        // Sessions another node holds a newer one of: ended here, as a login read there would.
        if (await ObserveAsync(resync, "resync").ConfigureAwait(false) is { } stale)
        {
            var pairs = (RedisResult[])stale!;
            for (var k = 0; k + 1 < pairs.Length; k += 2)
            {
                if (_own.TryGetValue((string)pairs[k]!, out var own) && own.Client.ClientId == (string?)pairs[k + 1])
                {
                    _replaced.Enqueue((own.Client.UserName, own.Client.ClientId));
                }
            }

            _wake.TrySetResult();
        }
    }

    // Another node of this name entered after this one's heartbeat expired: this one stops taking
    // part (no more heartbeats, reads or writes under the name) rather than take it back. Found by
    // the heartbeat, or sooner by any script of this run that Redis refused (then once only); the
    // failure is reported as the heartbeat's only when the heartbeat found it.
    private void StopDisplaced(TimeSpan expiresIn, string operation)
    {
        var displaced = new NodeNameInUseException(NodeName, _store.Where, expiresIn);
        if (Interlocked.CompareExchange(ref _displaced, displaced, null) is not null)
        {
            return;
        }

        _entered = false;
        _store.Refuse(displaced);
        _stop.Cancel();

        // Reported even while a Redis failure is: this is another matter.
        Worked();
        Fail(operation, displaced);
    }

    private void Observe(Task<RedisResult> command, string operation) => _ = ObserveAsync(command, operation);

    // The answer, or null when Redis could not be reached (reported, and for presence, resynced later).
    private async Task<RedisResult?> ObserveAsync(Task<RedisResult> command, string operation)
    {
        try
        {
            var result = await _store.CallAsync(command).ConfigureAwait(false);
            Worked();
            return result;
        }
        catch (StoreUnavailableException ex)
        {
            if (operation is "login" or "logout" or "resync")
            {
                Volatile.Write(ref _presenceLost, 1);
            }

            Fail(operation, ex);
            return null;
        }
    }

    private void Worked()
    {
        if (Volatile.Read(ref _failing) != 0 && Interlocked.Exchange(ref _failing, 0) != 0)
        {
            Recovered?.Invoke();
        }
    }

    private void Fail(string operation, Exception exception)
    {
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            Failed?.Invoke(operation, exception);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string Key(string user) => user.ToLowerInvariant();

    // What on:{node} holds of a session: client id first (the logout script matches it), tab-separated, the fingerprint last (an older node wrote none); names and addresses hold no tab.
    private static string WriteSession(ClientInfo client) => string.Join(
        '\t',
        client.ClientId,
        client.UserName,
        client.Address,
        client.PeerEndpoint ?? "",
        client.ConnectedAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
        client.Via ?? "",
        client.PeerFingerprint ?? "");

    private static string ClientIdOf(string session) => session.Split('\t', 2)[0];

    private static ClientInfo ReadSession(string session, string node)
    {
        var parts = session.Split('\t');
        if (parts.Length < 6 || !long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
        {
            throw new InvalidDataException($"A session of node '{node}' in the cluster's Redis is not one this version reads.");
        }

        var connectedAt = new DateTimeOffset(ticks, TimeSpan.Zero);
        var fingerprint = parts.Length > 6 && parts[6].Length > 0 ? parts[6] : null;
        return new ClientInfo(parts[0], parts[1], parts[2], parts[3].Length == 0 ? null : parts[3], connectedAt, connectedAt, 0, parts[5].Length == 0 ? null : parts[5], node, fingerprint);
    }

    private sealed record RemoteSession(ClientInfo Client, BusId LoginId);

    private sealed record Sweep(BusId At, HashSet<string> LiveNodes);

    private sealed class OwnSession(ClientInfo client)
    {
        public ClientInfo Client { get; } = client;

        public volatile bool Seen;

        // The bus id of its login, once known (Redis answered, or the reader read it back).
        public volatile string? LoginId;
    }
}
