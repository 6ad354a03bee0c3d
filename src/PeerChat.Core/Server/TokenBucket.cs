namespace PeerChat.Core.Server;

/// <summary>
/// Flood control for one connection: up to <c>burst</c> tokens at once, refilled at <c>rate</c>
/// a second. A request costs one token in a bucket of requests, its length in a bucket of bytes.
/// Used only by that connection's receive loop, so it needs no lock.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _clock;
    private readonly double _capacity;
    private readonly double _ratePerSecond;
    private double _tokens;
    private long _lastRefill;

    public TokenBucket(double burst, double ratePerSecond, TimeProvider clock)
    {
        _clock = clock;
        _capacity = burst;
        _ratePerSecond = ratePerSecond;
        _tokens = burst;
        _lastRefill = clock.GetTimestamp();
    }

    /// <summary>True when the last <see cref="CanTake"/> found the bucket full: any flood before it is over.</summary>
    public bool WasFull { get; private set; }

    /// <summary>Takes a token, or says how long until one returns.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        if (!CanTake(1, out wait))
        {
            return false;
        }

        Take(1);
        return true;
    }

    /// <summary>
    /// Refills, then says whether <paramref name="cost"/> can be taken now, or how long until it can.
    /// A cost above the burst is allowed from a full bucket (which then owes the rest), so that no
    /// request is too large to ever pass.
    /// </summary>
    public bool CanTake(double cost, out TimeSpan wait)
    {
        var now = _clock.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (_clock.GetElapsedTime(_lastRefill, now).TotalSeconds * _ratePerSecond));
        _lastRefill = now;
        WasFull = _tokens >= _capacity;
        var needed = Math.Min(cost, _capacity);
        if (_tokens >= needed)
        {
            wait = TimeSpan.Zero;
            return true;
        }

        wait = TimeSpan.FromSeconds((needed - _tokens) / _ratePerSecond);
        return false;
    }

    /// <summary>Takes what <see cref="CanTake"/> just allowed.</summary>
    public void Take(double cost) => _tokens -= cost;
}
