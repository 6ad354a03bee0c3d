namespace PeerChat.Core.Server;

/// <summary>
/// Flood control for one connection: two token buckets refilled together, one of requests
/// (FloodBurst at once, FloodRate a second) and one of bytes (FloodBytesBurst, FloodBytesRate).
/// A frame costs a request and its length, taken from both or from neither. Used only by that
/// connection's receive loop, so it needs no lock.
/// </summary>
/// <remarks>
/// One object rather than two <see cref="TokenBucket"/>s: every connection holds one, idle or not,
/// and the limits are read from the options instead of being copied into each.
/// </remarks>
internal sealed class FloodControl
{
    private readonly ChatServerOptions _options;
    private double _requests;
    private double _bytes;
    private long _lastRefill;

    public FloodControl(ChatServerOptions options)
    {
        _options = options;
        _requests = options.FloodBurst;
        _bytes = options.FloodBytesBurst;
        _lastRefill = options.TimeProvider.GetTimestamp();
    }

    /// <summary>True when the last <see cref="TryTake"/> found both buckets full: any flood before it is over.</summary>
    public bool WasFull { get; private set; }

    /// <summary>
    /// Takes a request and <paramref name="frameBytes"/>, or says how long until both are there. A
    /// frame longer than FloodBytesBurst passes when the bucket of bytes is full (which then owes
    /// the rest), so that no frame is too large to ever pass.
    /// </summary>
    public bool TryTake(int frameBytes, out TimeSpan wait)
    {
        var clock = _options.TimeProvider;
        var now = clock.GetTimestamp();
        var seconds = clock.GetElapsedTime(_lastRefill, now).TotalSeconds;
        _lastRefill = now;
        _requests = Math.Min(_options.FloodBurst, _requests + (seconds * _options.FloodRate));
        _bytes = Math.Min(_options.FloodBytesBurst, _bytes + (seconds * _options.FloodBytesRate));
        WasFull = _requests >= _options.FloodBurst && _bytes >= _options.FloodBytesBurst;

        var neededBytes = Math.Min(frameBytes, _options.FloodBytesBurst);
        if (_requests >= 1 && _bytes >= neededBytes)
        {
            _requests -= 1;
            _bytes -= frameBytes;
            wait = TimeSpan.Zero;
            return true;
        }

        var requestWait = Math.Max(0, (1 - _requests) / _options.FloodRate);
        var bytesWait = Math.Max(0, (neededBytes - _bytes) / _options.FloodBytesRate);
        // At least a millisecond: a wait rounded to nothing would spin against a clock that has not moved.
        wait = TimeSpan.FromSeconds(Math.Max(0.001, Math.Max(requestWait, bytesWait)));
        return false;
    }
}
