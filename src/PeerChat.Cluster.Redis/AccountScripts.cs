namespace PeerChat.Cluster.Redis;

/// <summary>
/// The Lua scripts of accounts, the login throttle and the signup budget (keys in docs/CLUSTER.md).
/// ARGV[1] is the key prefix, as in <see cref="StoreScripts"/>. Times are milliseconds given by the
/// calling node's clock (its TimeProvider), so the rules read as in <c>LoginThrottle</c>; 13-digit
/// millisecond counts are exact in Lua's doubles.
/// </summary>
internal static class AccountScripts
{
    /// <summary>
    /// Signup: ARGV 2 key name (lower case), 3 name as spelled, 4 hash record, 5 iterations, 6 created
    /// ms. 1 when made, 0 when the name is taken: one winner however many nodes try at once.
    /// </summary>
    public const string Add = """
        local p = ARGV[1]
        local key = p .. 'u:' .. ARGV[2]
        if redis.call('EXISTS', key) == 1 then return 0 end
        redis.call('HSET', key, 'n', ARGV[3], 'h', ARGV[4], 'i', ARGV[5], 'c', ARGV[6])
        redis.call('HINCRBY', p .. 'ui', ARGV[5], 1)
        redis.call('SADD', p .. 'users', ARGV[2])
        return 1
        """;

    /// <summary>Rehash: ARGV 2 key name, 3 hash record, 4 iterations. 0 when there is no such account.</summary>
    public const string Update = """
        local p = ARGV[1]
        local key = p .. 'u:' .. ARGV[2]
        local old = redis.call('HGET', key, 'i')
        if not old then return 0 end
        redis.call('HSET', key, 'h', ARGV[3], 'i', ARGV[4])
        if redis.call('HINCRBY', p .. 'ui', old, -1) <= 0 then redis.call('HDEL', p .. 'ui', old) end
        redis.call('HINCRBY', p .. 'ui', ARGV[4], 1)
        return 1
        """;

    // LoginThrottle's Entry in Redis: hash t:{key} (b blocked until, d next delay, i attempts under
    // way) and list tf:{key} (failure times, oldest first). ARGV 2-4 the user, pair and address
    // keys, 5 now, 6 window, 7 initial delay, 8 max delay, 9 failures, 10 user failures.
    private const string ThrottlePrelude = """
        local p = ARGV[1]
        local now = tonumber(ARGV[5])
        local window, initial, maxDelay = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
        local limit, userLimit = tonumber(ARGV[9]), tonumber(ARGV[10])
        local function load(name)
          local e = { h = p .. 't:' .. name, f = p .. 'tf:' .. name }
          while true do
            local oldest = redis.call('LINDEX', e.f, 0)
            if not oldest or now - tonumber(oldest) < window then break end
            redis.call('LPOP', e.f)
          end
          local v = redis.call('HMGET', e.h, 'b', 'd', 'i')
          e.b, e.d, e.i = tonumber(v[1]) or 0, tonumber(v[2]) or initial, tonumber(v[3]) or 0
          if e.i < 0 then e.i = 0 end
          e.n = redis.call('LLEN', e.f)
          if e.n == 0 and e.b <= now then e.d = initial end
          return e
        end
        -- An entry with nothing to remember goes; another lives while its failures or block can
        -- matter (the times in it decide, the TTL only frees the memory, also of a node that died
        -- with attempts under way).
        local function save(e)
          if e.n == 0 and e.b <= now and e.i == 0 then
            redis.call('DEL', e.h, e.f)
            return
          end
          redis.call('HSET', e.h, 'b', e.b, 'd', e.d, 'i', e.i)
          local ttl = window
          if e.b - now > ttl then ttl = e.b - now end
          redis.call('PEXPIRE', e.h, ttl + 1000)
          if e.n > 0 then redis.call('PEXPIRE', e.f, ttl + 1000) end
        end
        local function remaining(e)
          if e.b > now then return e.b - now end
          return 0
        end
        local function wouldReach(e, max)
          return e.i > 0 and e.n + e.i >= max
        end
        local function fail(e, max)
          redis.call('RPUSH', e.f, ARGV[5])
          e.n = e.n + 1
          if e.n >= max or e.d > initial then
            e.b = now + e.d
            e.d = math.min(e.d * 2, maxDelay)
          end
        end
        local user, pair, origin = load(ARGV[2]), load(ARGV[3]), load(ARGV[4])

        """;

    /// <summary>LoginThrottle.TryBegin: 0 when the attempt may go on (counted as under way), else the milliseconds to wait.</summary>
    public const string BeginLogin = ThrottlePrelude + """
        local suspect = pair.n > 0
        local wait = math.max(remaining(pair), remaining(origin))
        if suspect then wait = math.max(wait, remaining(user)) end
        if wait == 0 and (wouldReach(pair, limit) or (origin.n > 0 and wouldReach(origin, limit))
            or (suspect and wouldReach(user, userLimit))) then
          wait = initial
        end
        if wait == 0 then
          user.i, pair.i, origin.i = user.i + 1, pair.i + 1, origin.i + 1
        end
        save(user) save(pair) save(origin)
        return wait
        """;

    /// <summary>LoginThrottle.End: ARGV 11 is 1 (succeeded), 0 (failed) or empty (undecided).</summary>
    public const string EndLogin = ThrottlePrelude + """
        for _, e in ipairs({ user, pair, origin }) do
          if e.i > 0 then e.i = e.i - 1 end
        end
        if ARGV[11] == '1' then
          redis.call('DEL', pair.f)
          pair.n, pair.b, pair.d = 0, 0, initial
        elseif ARGV[11] == '0' then
          fail(pair, limit) fail(origin, limit) fail(user, userLimit)
        end
        save(user) save(pair) save(origin)
        return 0
        """;

    /// <summary>
    /// SignupBudget.TryTake: sorted set ts:{address} of signup times. ARGV 2 address, 3 now, 4 window,
    /// 5 limit, 6 ticket. 0 when counted, else the milliseconds until the next may come.
    /// </summary>
    public const string TakeSignup = """
        local key = ARGV[1] .. 'ts:' .. ARGV[2]
        local now, window = tonumber(ARGV[3]), tonumber(ARGV[4])
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
        if redis.call('ZCARD', key) >= tonumber(ARGV[5]) then
          local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
          return math.max(1, tonumber(oldest[2]) + window - now)
        end
        redis.call('ZADD', key, ARGV[3], ARGV[6])
        redis.call('PEXPIRE', key, window)
        return 0
        """;
}
