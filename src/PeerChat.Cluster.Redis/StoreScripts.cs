namespace PeerChat.Cluster.Redis;

/// <summary>
/// The store's Lua scripts (the key layout is in docs/CLUSTER.md). Each operation is one script:
/// atomic, so that a message, its id index and its queue entry are written together or not at all,
/// and one round trip. ARGV[1] is always the key prefix. Scripts build their key names from it,
/// which a single Redis allows; Redis Cluster would need every key passed in KEYS (CLUSTER.md).
/// SentAt is compared as 19-digit tick strings: Lua's numbers are doubles, exact only to 2^53.
/// </summary>
internal static class StoreScripts
{
    private const string Prelude = """
        local p = ARGV[1]
        local function field(entry, name)
          local f = entry[2]
          for k = 1, #f, 2 do
            if f[k] == name then return f[k + 1] end
          end
          return nil
        end
        local function dequeue(user, id, counted)
          local qi = p .. 'qi:' .. user
          local qid = redis.call('HGET', qi, id)
          if not qid then return end
          redis.call('XDEL', p .. 'q:' .. user, qid)
          redis.call('HDEL', qi, id)
          if counted then redis.call('HINCRBY', p .. 'qs:' .. user, 'dropped', 1) end
        end
        -- Queues a stored message for user; past the queue's limit the oldest go, counted as dropped.
        local function enqueue(user, conv, entry, id, limit)
          local q, qi = p .. 'q:' .. user, p .. 'qi:' .. user
          redis.call('HSET', qi, id, redis.call('XADD', q, '*', 'c', conv, 'e', entry, 'i', id))
          local excess = redis.call('XLEN', q) - tonumber(limit)
          if excess > 0 then
            local oldest = redis.call('XRANGE', q, '-', '+', 'COUNT', excess)
            for _, e in ipairs(oldest) do
              redis.call('XDEL', q, e[1])
              redis.call('HDEL', qi, field(e, 'i'))
            end
            redis.call('HINCRBY', p .. 'qs:' .. user, 'dropped', #oldest)
          end
        end
        -- A message that retention removes leaves the offline queue too, counted as dropped.
        local function remove(conv, stream, entry)
          local id = field(entry, 'i')
          redis.call('XDEL', stream, entry[1])
          redis.call('HDEL', p .. 'ci:' .. conv, id)
          local queued = field(entry, 'q')
          if queued then dequeue(queued, id, true) end
        end

        """;

    /// <summary>
    /// ARGV: prefix, conversation, message id, SentAt in ms, queue-for user or '', queue limit,
    /// first and second user of a direct conversation or '', the node that publishes it on the bus
    /// or '' (not clustered), the bus's length, that node's run token (the append is refused, with
    /// PCNODEINUSE and the name's remaining ms, when another run of the node holds its heartbeat),
    /// then the entry's fields and values. The entry id is
    /// SentAt's millisecond, or later when the stream is already past it. The bus entry points at
    /// the message (its conversation and entry id), so a broadcast costs Redis the same whatever
    /// the number of its receivers and nodes.
    /// </summary>
    public const string Append = Prelude + """
        local conv, id = ARGV[2], ARGV[3]
        local stream, index = p .. 'c:' .. conv, p .. 'ci:' .. conv
        if redis.call('HEXISTS', index, id) == 1 then
          return redis.error_reply('PCDUPLICATE message ' .. id .. ' is already stored')
        end
        if ARGV[9] ~= '' then
          local heartbeat = p .. 'n:' .. ARGV[9]
          local held = redis.call('GET', heartbeat)
          if held and held ~= ARGV[11] then return redis.error_reply('PCNODEINUSE ' .. redis.call('PTTL', heartbeat)) end
        end
        local ok, entry = pcall(redis.call, 'XADD', stream, ARGV[4] .. '-*', unpack(ARGV, 12))
        if not ok then
          local info = redis.call('XINFO', 'STREAM', stream)
          local last = '0-0'
          for k = 1, #info, 2 do
            if info[k] == 'last-generated-id' then last = info[k + 1] end
          end
          entry = redis.call('XADD', stream, string.match(last, '^(%d+)') .. '-*', unpack(ARGV, 12))
        end
        redis.call('HSET', index, id, entry)
        if ARGV[9] ~= '' then
          redis.call('XADD', p .. 'bus', 'MAXLEN', '~', ARGV[10], '*', 'k', 'm', 'n', ARGV[9], 'c', conv, 'e', entry)
          redis.call('PUBLISH', p .. 'wake', ARGV[9])
        end
        redis.call('SADD', p .. 'convs', conv)
        if ARGV[7] ~= '' then
          redis.call('SADD', p .. 'd:' .. ARGV[7], conv)
          redis.call('SADD', p .. 'd:' .. ARGV[8], conv)
        end
        local user = ARGV[5]
        if user ~= '' then enqueue(user, conv, entry, id, ARGV[6]) end
        return entry
        """;

    /// <summary>
    /// ARGV: prefix, user, conversation, message id, queue limit. Queues a message already stored
    /// (a direct message relayed to a user who had just logged out), unless it is queued already
    /// or gone; 1 when queued. Its stream entry names no queue (entries cannot change), so
    /// retention leaves its queue entry, which the reading of the queue then passes over.
    /// </summary>
    public const string QueueStored = Prelude + """
        local user, conv, id = ARGV[2], ARGV[3], ARGV[4]
        local entry = redis.call('HGET', p .. 'ci:' .. conv, id)
        if not entry or redis.call('HEXISTS', p .. 'qi:' .. user, id) == 1 then return 0 end
        enqueue(user, conv, entry, id, ARGV[5])
        return 1
        """;

    /// <summary>
    /// ARGV: prefix, conversation, mode (latest, before, after, since), cursor id or since in ms,
    /// how many, since in ticks. The entries' field lists, in stream order for after and since and
    /// newest first otherwise; nil for a cursor that is not a message of the conversation.
    /// </summary>
    public const string Page = Prelude + """
        local conv, mode, take = ARGV[2], ARGV[3], tonumber(ARGV[5])
        local stream = p .. 'c:' .. conv
        local entries = {}
        if mode == 'latest' then
          entries = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', take)
        elseif mode == 'since' then
          -- Entry ids are at or after SentAt's millisecond, so the walk starts there and skips the
          -- few sent earlier but stored after a later one; bounded by the stream's length.
          local from = ARGV[4]
          while #entries < take do
            local batch = redis.call('XRANGE', stream, from, '+', 'COUNT', take)
            for _, e in ipairs(batch) do
              if #entries < take and field(e, 's') >= ARGV[6] then entries[#entries + 1] = e end
            end
            if #batch < take then break end
            from = '(' .. batch[#batch][1]
          end
        else
          local at = redis.call('HGET', p .. 'ci:' .. conv, ARGV[4])
          if not at then return nil end
          if mode == 'before' then
            entries = redis.call('XREVRANGE', stream, '(' .. at, '-', 'COUNT', take)
          else
            entries = redis.call('XRANGE', stream, '(' .. at, '+', 'COUNT', take)
          end
        end
        local out = {}
        for k, e in ipairs(entries) do out[k] = e[2] end
        return out
        """;

    /// <summary>ARGV: prefix, user, max, after (a message id or ''). {dropped, queued, {conversation, fields, ...}}.</summary>
    public const string ReadOffline = Prelude + """
        local user, max = ARGV[2], tonumber(ARGV[3])
        local q = p .. 'q:' .. user
        -- A cursor no longer queued was confirmed or dropped, and with it everything before it.
        local from = '-'
        if ARGV[4] ~= '' then
          local at = redis.call('HGET', p .. 'qi:' .. user, ARGV[4])
          if at then from = '(' .. at end
        end
        local out = {}
        if max > 0 then
          for _, e in ipairs(redis.call('XRANGE', q, from, '+', 'COUNT', max)) do
            local conv, at = field(e, 'c'), field(e, 'e')
            local m = redis.call('XRANGE', p .. 'c:' .. conv, at, at)
            if m[1] then
              out[#out + 1] = conv
              out[#out + 1] = m[1][2]
            end
          end
        end
        local dropped = redis.call('HGET', p .. 'qs:' .. user, 'dropped') or '0'
        return {tonumber(dropped), redis.call('XLEN', q), out}
        """;

    /// <summary>ARGV: prefix, user, message id. Removes the queue up to that message and resets dropped; 0 when it is not queued.</summary>
    public const string ConfirmOffline = Prelude + """
        local user, id = ARGV[2], ARGV[3]
        local q, qi = p .. 'q:' .. user, p .. 'qi:' .. user
        local upTo = redis.call('HGET', qi, id)
        if not upTo then return 0 end
        local confirmed = redis.call('XRANGE', q, '-', upTo)
        for _, e in ipairs(confirmed) do
          redis.call('XDEL', q, e[1])
          redis.call('HDEL', qi, field(e, 'i'))
        end
        redis.call('HSET', p .. 'qs:' .. user, 'dropped', 0)
        return #confirmed
        """;

    /// <summary>ARGV: prefix, room key, room name, user. 1 when the room was created.</summary>
    public const string AddMember = """
        local p = ARGV[1]
        local created = redis.call('HSETNX', p .. 'rooms', ARGV[2], ARGV[3])
        redis.call('SADD', p .. 'rm:' .. ARGV[2], ARGV[4])
        return created
        """;

    /// <summary>ARGV: prefix, user, conversation, message id. 0 when the id is not a message of the conversation.</summary>
    public const string MarkRead = """
        local p = ARGV[1]
        local at = redis.call('HGET', p .. 'ci:' .. ARGV[3], ARGV[4])
        if not at then return 0 end
        redis.call('HSET', p .. 'r:' .. ARGV[2], ARGV[3], at .. ' ' .. ARGV[4])
        return 1
        """;

    /// <summary>
    /// ARGV: prefix, user, conversation, most unread to count. {read marker's message id or nil,
    /// last message id or nil, its SentAt ticks or nil, unread from others after the marker}.
    /// </summary>
    public const string Summarize = Prelude + """
        local user, conv = ARGV[2], ARGV[3]
        local stream = p .. 'c:' .. conv
        local marker = redis.call('HGET', p .. 'r:' .. user, conv)
        local readUpTo, from = false, '-'
        if marker then
          local at, id = string.match(marker, '^(%S+) (%S+)$')
          readUpTo, from = id, '(' .. at
        end
        local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
        if not last then return {readUpTo, false, false, 0} end
        local unread = 0
        for _, e in ipairs(redis.call('XRANGE', stream, from, '+', 'COUNT', tonumber(ARGV[4]))) do
          if string.lower(field(e, 'f')) ~= user then unread = unread + 1 end
        end
        return {readUpTo, field(last, 'i'), field(last, 's'), unread}
        """;

    /// <summary>ARGV: prefix, conversation, cutoff ticks, batch. Removes from the oldest end while SentAt is before the cutoff; how many.</summary>
    public const string RemoveSentBefore = Prelude + """
        local conv = ARGV[2]
        local stream = p .. 'c:' .. conv
        local removed = 0
        for _, e in ipairs(redis.call('XRANGE', stream, '-', '+', 'COUNT', tonumber(ARGV[4]))) do
          if field(e, 's') >= ARGV[3] then break end
          remove(conv, stream, e)
          removed = removed + 1
        end
        return removed
        """;

    /// <summary>ARGV: prefix, conversation, how many to keep, batch. Removes the oldest past the limit; how many.</summary>
    public const string Trim = Prelude + """
        local conv = ARGV[2]
        local stream = p .. 'c:' .. conv
        local excess = math.min(redis.call('XLEN', stream) - tonumber(ARGV[3]), tonumber(ARGV[4]))
        if excess <= 0 then return 0 end
        local doomed = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
        for _, e in ipairs(doomed) do remove(conv, stream, e) end
        return #doomed
        """;
}
