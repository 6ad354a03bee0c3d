namespace PeerChat.Core.Server;

/// <summary>
/// Flood control for one connection: two token buckets refilled together, one of requests
/// (FloodBurst at once, FloodRate a second) and one of bytes (FloodBytesBurst, FloodBytesRate).
/// A frame costs a request and its length, taken from both or from neither. Used only by that
/// connection's receive loop, so it needs no lock.
/// </summary>
/// <remarks>
/// A mutable struct held in a field of its connection (call it on the field, never on a copy), not
/// an object of its own: every connection holds one, idle or not. The limits are read from the
/// options, which the connection passes, instead of being copied into each.
/// </remarks>
internal struct FloodControl
{
    private double _requests;
    private double _bytes;
    private long _lastRefill;

    public FloodControl(ChatServerOptions options)
    {
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
    public bool TryTake(ChatServerOptions options, int frameBytes, out TimeSpan wait)
    {
        var clock = options.TimeProvider;
        var now = clock.GetTimestamp();
        var seconds = clock.GetElapsedTime(_lastRefill, now).TotalSeconds;
        _lastRefill = now;
        _requests = Math.Min(options.FloodBurst, _requests + (seconds * options.FloodRate));
        _bytes = Math.Min(options.FloodBytesBurst, _bytes + (seconds * options.FloodBytesRate));
        WasFull = _requests >= options.FloodBurst && _bytes >= options.FloodBytesBurst;

        var neededBytes = Math.Min(frameBytes, options.FloodBytesBurst);
        if (_requests >= 1 && _bytes >= neededBytes)
        {
            _requests -= 1;
            _bytes -= frameBytes;
            wait = TimeSpan.Zero;
            return true;
        }

        var requestWait = Math.Max(0, (1 - _requests) / options.FloodRate);
        var bytesWait = Math.Max(0, (neededBytes - _bytes) / options.FloodBytesRate);
        // At least a millisecond: a wait rounded to nothing would spin against a clock that has not moved.
        wait = TimeSpan.FromSeconds(Math.Max(0.001, Math.Max(requestWait, bytesWait)));
        return false;
    }
}
