namespace PeerChat.Core.Server;

/// <summary>
/// Flood control for one connection: up to <c>burst</c> requests at once, refilled at <c>rate</c>
/// a second. Used only by that connection's receive loop, so it needs no lock.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _clock;
    private readonly double _capacity;
    private readonly double _ratePerSecond;
    private double _tokens;
    private long _lastRefill;

    public TokenBucket(int burst, double ratePerSecond, TimeProvider clock)
    {
        _clock = clock;
        _capacity = burst;
        _ratePerSecond = ratePerSecond;
        _tokens = burst;
        _lastRefill = clock.GetTimestamp();
    }

    /// <summary>True when the last <see cref="TryTake"/> found the bucket full: any flood before it is over.</summary>
    public bool WasFull { get; private set; }

    /// <summary>Takes a token, or says how long until one returns.</summary>
    public bool TryTake(out TimeSpan wait)
    {
        var now = _clock.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (_clock.GetElapsedTime(_lastRefill, now).TotalSeconds * _ratePerSecond));
        _lastRefill = now;
        WasFull = _tokens >= _capacity;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            wait = TimeSpan.Zero;
            return true;
        }

        wait = TimeSpan.FromSeconds((1 - _tokens) / _ratePerSecond);
        return false;
    }
}
