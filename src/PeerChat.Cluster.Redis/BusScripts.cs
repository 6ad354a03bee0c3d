namespace PeerChat.Cluster.Redis;

/// <summary>
/// The scripts of the cluster's bus and presence (docs/CLUSTER.md, "Fan-out" and "Presence and
/// sessions"). ARGV[1] is the key prefix and ARGV[2] the node, always. Every bus entry has a kind
/// <c>k</c> and the node <c>n</c> that wrote it: <c>m</c> a message (<c>c</c> conversation and
/// <c>e</c> its entry id, written by the store's append), <c>j</c>/<c>x</c> a room join/leave
/// (<c>r</c> room, <c>u</c> user), <c>l</c> a login (<c>u</c> user key, <c>v</c> what
/// <c>on:{node}</c> holds of it), <c>o</c> a logout (<c>u</c>, <c>c</c> client id), <c>r</c> a node
/// that (re)started or stopped: its users are gone, <c>s</c> a node's resync: its sessions whose login
/// came before <c>f</c> are gone, <c>p</c> a direct connection brokered to a
/// session of node <c>t</c> (<c>u</c>, <c>c</c>, and the <c>peer_expect</c>'s <c>f</c>, <c>fc</c>,
/// <c>tk</c>, <c>ex</c> in UTC ticks). Each write also publishes the node on
/// <c>wake</c>, so that readers need not poll often.
/// </summary>
internal static class BusScripts
{
    private const string Add = """
        local p, node = ARGV[1], ARGV[2]
        local function publish(maxlen, ...)
          local id = redis.call('XADD', p .. 'bus', 'MAXLEN', '~', maxlen, '*', 'n', node, ...)
          redis.call('PUBLISH', p .. 'wake', node)
          return id
        end
        -- An error reply when another run of the node holds its name (its heartbeat's token is not
        -- this run's): a run whose heartbeat expired must not write presence or entries as the node.
        local function taken(run)
          local key = p .. 'n:' .. node
          local held = redis.call('GET', key)
          if held and held ~= run then return redis.error_reply('PCNODEINUSE ' .. redis.call('PTTL', key)) end
          return false
        end

        """;

    /// <summary>
    /// Reading on-hash values: <c>field(v, n)</c> is the n-th tab-separated field (1: client id,
    /// 5: connected at in ticks, 8: the login's bus id, written by Login and Resync); <c>later(a, b)</c>
    /// whether stream id a is after b.
    /// </summary>
    private const string SessionFields = """
        local function field(v, n)
          local from = 1
          for _ = 2, n do
            local tab = string.find(v, '\t', from, true)
            if not tab then return nil end
            from = tab + 1
          end
          local tab = string.find(v, '\t', from, true)
          return string.sub(v, from, tab and tab - 1 or -1)
        end
        local function later(a, b)
          local am, as = string.match(a, '^(%d+)-(%d+)$')
          local bm, bs = string.match(b, '^(%d+)-(%d+)$')
          if not (am and bm) then return false end
          am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
          return am > bm or (am == bm and as > bs)
        end

        """;

    /// <summary>
    /// What the live nodes but this one hold of their sessions: appends {node, its on-hash values}
    /// to <c>out</c>.
    /// </summary>
    private const string OtherSessions = """
        for _, other in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
          if other ~= node and redis.call('EXISTS', p .. 'n:' .. other) == 1 then
            out[#out + 1] = other
            out[#out + 1] = redis.call('HVALS', p .. 'on:' .. other)
          end
        end

        """;

    /// <summary>
    /// ARGV: prefix, node, heartbeat TTL in ms, bus length. Marks the node alive, forgets its users
    /// of an earlier run (and tells the others so), and returns {the bus id to read on from, then
    /// each other live node and the values of its on-hash}, in one step so nothing falls between;
    /// {'inuse', the heartbeat's remaining ms} and nothing changed when a node of that name is live.
    /// ARGV[5] is this run's token, the heartbeat's value: only this run refreshes or removes it.
    /// </summary>
    public const string Enter = Add + """
        if not redis.call('SET', p .. 'n:' .. node, ARGV[5], 'NX', 'PX', ARGV[3]) then
          return {'inuse', redis.call('PTTL', p .. 'n:' .. node)}
        end
        redis.call('SADD', p .. 'nodes', node)
        redis.call('DEL', p .. 'on:' .. node)
        local out = {publish(ARGV[4], 'k', 'r')}

        """ + OtherSessions + """
        return out
        """;

    /// <summary>
    /// ARGV: prefix, node, heartbeat TTL in ms, this run's token. Refreshes the node's heartbeat and
    /// sweeps the nodes whose heartbeat expired (their on-hash goes). Returns {1 when the heartbeat
    /// was still there (0: others may have swept this node), the bus's last id, the live nodes...};
    /// {'inuse', its remaining ms} and nothing changed when another run holds the name (this one's
    /// expired meanwhile and a new node of the name entered): as Enter's SET NX, never taken back.
    /// </summary>
    public const string Heartbeat = """
        local p, node = ARGV[1], ARGV[2]
        local key = p .. 'n:' .. node
        local held = redis.call('GET', key)
        if held and held ~= ARGV[4] then
          return {'inuse', redis.call('PTTL', key)}
        end
        redis.call('SET', key, ARGV[4], 'PX', ARGV[3])
        redis.call('SADD', p .. 'nodes', node)
        local last = redis.call('XREVRANGE', p .. 'bus', '+', '-', 'COUNT', 1)[1]
        local out = {held and 1 or 0, last and last[1] or '0-0'}
        for _, other in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
          if redis.call('EXISTS', p .. 'n:' .. other) == 1 then
            out[#out + 1] = other
          else
            redis.call('DEL', p .. 'on:' .. other)
            redis.call('SREM', p .. 'nodes', other)
          end
        end
        return out
        """;

    /// <summary>
    /// ARGV: prefix, node, bus length, this run's token, then each session of the node as user key,
    /// on-hash value and the bus id of its login ('' when that never reached Redis). After a login or logout that did
    /// not reach Redis, or a heartbeat that expired: the node's on-hash becomes exactly these
    /// sessions, each published again with a login entry, and then an <c>s</c> entry (<c>f</c> the
    /// first of those logins, '' when none) tells the others to forget this node's sessions whose
    /// login they read before it. A user they already knew with that session thus neither leaves nor
    /// joins. A session that another live node holds a newer one of its user for (a later login in
    /// bus order, or when one of them never reached Redis, a later connection time) is not published
    /// (its user key and client id are returned, for the node to end it), so a resync never ends a
    /// newer session elsewhere.
    /// </summary>
    public const string Resync = Add + SessionFields + """
        local refused = taken(ARGV[4])
        if refused then return refused end
        local on = p .. 'on:' .. node
        local others = {}
        for _, other in ipairs(redis.call('SMEMBERS', p .. 'nodes')) do
          if other ~= node and redis.call('EXISTS', p .. 'n:' .. other) == 1 then others[#others + 1] = other end
        end
        local function newer(held, since, value)
          local theirs = field(held, 8)
          if since ~= '' and theirs and string.find(theirs, '-', 1, true) then return later(theirs, since) end
          local a, b = field(held, 5) or '', field(value, 5) or ''
          if #a ~= #b then return #a > #b end
          return a > b
        end
        redis.call('DEL', on)
        local stale, first = {}, ''
        for k = 5, #ARGV - 2, 3 do
          local user, value, since = ARGV[k], ARGV[k + 1], ARGV[k + 2]
          local replaced = false
          for _, other in ipairs(others) do
            local held = redis.call('HGET', p .. 'on:' .. other, user)
            if held and newer(held, since, value) then replaced = true end
          end
          if replaced then
            stale[#stale + 1] = user
            stale[#stale + 1] = field(value, 1)
          else
            local id = publish(ARGV[3], 'k', 'l', 'u', user, 'v', value)
            if first == '' then first = id end
            -- The session's own login id, which a resync elsewhere compares, not this entry's.
            redis.call('HSET', on, user, value .. '\t' .. (since ~= '' and since or id))
          end
        end
        publish(ARGV[3], 'k', 's', 'f', first)
        return stale
        """;

    /// <summary>
    /// ARGV: prefix, node, bus length, this run's token. The node stops: its heartbeat and users go,
    /// and the others are told; nothing when the name is another run's by now.
    /// </summary>
    public const string Leave = Add + """
        local held = redis.call('GET', p .. 'n:' .. node)
        if held and held ~= ARGV[4] then return false end
        redis.call('DEL', p .. 'on:' .. node, p .. 'n:' .. node)
        redis.call('SREM', p .. 'nodes', node)
        return publish(ARGV[3], 'k', 'r')
        """;

    /// <summary>
    /// ARGV: prefix, node, bus length, user key, the session as on-hash values hold it, this run's
    /// token. Its bus id, which the on-hash keeps after the session (a resync elsewhere compares it).
    /// </summary>
    public const string Login = Add + """
        local refused = taken(ARGV[6])
        if refused then return refused end
        local id = publish(ARGV[3], 'k', 'l', 'u', ARGV[4], 'v', ARGV[5])
        redis.call('HSET', p .. 'on:' .. node, ARGV[4], ARGV[5] .. '\t' .. id)
        return id
        """;

    /// <summary>ARGV: prefix, node, bus length, user key, client id, this run's token. The on-hash loses the user only while that client is its session.</summary>
    public const string Logout = Add + """
        local refused = taken(ARGV[6])
        if refused then return refused end
        local on = p .. 'on:' .. node
        local held = redis.call('HGET', on, ARGV[4])
        if held and string.match(held, '^([^\t]*)') == ARGV[5] then redis.call('HDEL', on, ARGV[4]) end
        return publish(ARGV[3], 'k', 'o', 'u', ARGV[4], 'c', ARGV[5])
        """;

    /// <summary>ARGV: prefix, node, bus length, j or x, room as first created, user, this run's token.</summary>
    public const string RoomChange = Add + """
        local refused = taken(ARGV[7])
        if refused then return refused end
        return publish(ARGV[3], 'k', ARGV[4], 'r', ARGV[5], 'u', ARGV[6])
        """;

    /// <summary>ARGV: prefix, node, bus length, the peer's node, user key, client id, then from, from client id, token, expiry in UTC ticks, this run's token.</summary>
    public const string PeerExpect = Add + """
        local refused = taken(ARGV[11])
        if refused then return refused end
        return publish(ARGV[3], 'k', 'p', 't', ARGV[4], 'u', ARGV[5], 'c', ARGV[6], 'f', ARGV[7], 'fc', ARGV[8], 'tk', ARGV[9], 'ex', ARGV[10])
        """;

    /// <summary>ARGV: prefix, node, bus length, conversation, this run's token, then the message's fields and values (a store that is not this Redis).</summary>
    public const string Message = Add + """
        local refused = taken(ARGV[5])
        if refused then return refused end
        return publish(ARGV[3], 'k', 'm', 'c', ARGV[4], unpack(ARGV, 6))
        """;

    /// <summary>
    /// ARGV: prefix, node, after this bus id, how many. {gap, {id, fields}, ...}: gap is '' while the
    /// bus still holds that id (or something before it); else the bus was trimmed past it and what
    /// lay between is gone, and gap is the first id it still holds ('0-0' when empty): the reader
    /// refills from the conversation streams (docs/CLUSTER.md, "When Redis goes away"). A message
    /// written by another node's append comes with <c>c</c> and <c>e</c> (its conversation and entry
    /// id) and the message's own fields from its conversation (kind <c>gone</c> when retention removed
    /// it meanwhile); anything else as the bus holds it.
    /// </summary>
    public const string Read = """
        local p, node = ARGV[1], ARGV[2]
        local function field(f, name)
          for k = 1, #f, 2 do
            if f[k] == name then return f[k + 1] end
          end
          return nil
        end
        local out = {''}
        if #redis.call('XRANGE', p .. 'bus', '-', ARGV[3], 'COUNT', 1) == 0 then
          local first = redis.call('XRANGE', p .. 'bus', '-', '+', 'COUNT', 1)[1]
          out[1] = first and first[1] or '0-0'
        end
        for _, e in ipairs(redis.call('XRANGE', p .. 'bus', '(' .. ARGV[3], '+', 'COUNT', tonumber(ARGV[4]))) do
          local f = e[2]
          local at = field(f, 'e')
          if field(f, 'n') ~= node and field(f, 'k') == 'm' and at then
            local conv = field(f, 'c')
            local m = redis.call('XRANGE', p .. 'c:' .. conv, at, at)[1]
            if m then
              f = {'k', 'm', 'n', field(f, 'n'), 'c', conv, 'e', at, unpack(m[2])}
            else
              f = {'k', 'gone', 'n', field(f, 'n'), 'c', conv, 'e', at}
            end
          end
          out[#out + 1] = {e[1], f}
        end
        return out
        """;

    /// <summary>ARGV: prefix, node, what the live nodes but this one hold of their sessions, as <see cref="Enter"/> returns them after the bus id.</summary>
    public const string Sessions = """
        local p, node = ARGV[1], ARGV[2]
        local out = {}

        """ + OtherSessions + """
        return out
        """;

    /// <summary>
    /// ARGV: prefix, node, user key, message id. A message queued for a user (the sender's node saw
    /// them offline) that this node delivered live to them after all leaves their offline queue, so
    /// that their next login does not bring it again.
    /// </summary>
    public const string Delivered = """
        local p, user, id = ARGV[1], ARGV[3], ARGV[4]
        local qi = p .. 'qi:' .. user
        local at = redis.call('HGET', qi, id)
        if not at then return 0 end
        redis.call('XDEL', p .. 'q:' .. user, at)
        redis.call('HDEL', qi, id)
        return 1
        """;
}
