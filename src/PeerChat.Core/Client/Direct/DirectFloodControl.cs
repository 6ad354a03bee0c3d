using PeerChat.Core.Accounts;

namespace PeerChat.Core.Client.Direct;

/// <summary>
/// Flood control on a receiver's direct connections: a token bucket per peer user, in messages and
/// in bytes, shared by all that user's connections (each needs only a token, so one user could
/// otherwise multiply its allowance by opening more). Past the bucket the receiver stops reading
/// that connection until the bucket has refilled: TCP then holds the sender back, nothing is
/// dropped, and a sender that waits too long for its ack gives up and falls back to the server.
/// </summary>
/// <remarks>
/// A message is always let through and may leave the bucket in debt (a frame larger than the
/// burst in bytes must still pass); the debt is then waited out before the next read.
/// </remarks>
internal sealed class DirectFloodControl
{
    private readonly Dictionary<string, PeerBudget> _peers = new(PasswordRules.UserNameComparer);
    private readonly ChatClientOptions _options;

    public DirectFloodControl(ChatClientOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DirectFloodBurst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.DirectFloodRate, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DirectFloodBurstBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.DirectFloodRateBytes, 0);
        _options = options;
    }

    /// <summary>The budget of <paramref name="peerUser"/>, shared with its other connections until the last one ends.</summary>
    public PeerBudget Join(string peerUser)
    {
        lock (_peers)
        {
            if (!_peers.TryGetValue(peerUser, out var budget))
            {
                budget = new PeerBudget(this, peerUser, _options);
                _peers[peerUser] = budget;
            }

            budget.Connections++;
            return budget;
        }
    }

    private void Leave(PeerBudget budget)
    {
        lock (_peers)
        {
            // A user's budget goes with its last connection: a stranger cannot grow this table.
            if (--budget.Connections == 0)
            {
                _peers.Remove(budget.PeerUser);
            }
        }
    }

    /// <summary>One peer user's buckets. Dispose once per <see cref="Join"/>.</summary>
    internal sealed class PeerBudget : IDisposable
    {
        private readonly DirectFloodControl _owner;
        private readonly object _lock = new();
        private readonly TimeProvider _clock;
        private readonly double _burst;
        private readonly double _rate;
        private readonly double _burstBytes;
        private readonly double _rateBytes;
        private double _messages;
        private double _bytes;
        private long _lastRefill;
        private bool _disposed;

        public PeerBudget(DirectFloodControl owner, string peerUser, ChatClientOptions options)
        {
            _owner = owner;
            PeerUser = peerUser;
            _clock = options.TimeProvider;
            _burst = _messages = options.DirectFloodBurst;
            _rate = options.DirectFloodRate;
            _burstBytes = _bytes = options.DirectFloodBurstBytes;
            _rateBytes = options.DirectFloodRateBytes;
            _lastRefill = _clock.GetTimestamp();
        }

        public string PeerUser { get; }

        // Guarded by the owner's lock.
        internal int Connections { get; set; }

        /// <summary>Charges one message of <paramref name="frameBytes"/>; returns how long to wait before reading the next.</summary>
        public TimeSpan Charge(long frameBytes)
        {
            lock (_lock)
            {
                var now = _clock.GetTimestamp();
                var elapsed = _clock.GetElapsedTime(_lastRefill, now).TotalSeconds;
                _lastRefill = now;
                _messages = Math.Min(_burst, _messages + (elapsed * _rate)) - 1;
                _bytes = Math.Min(_burstBytes, _bytes + (elapsed * _rateBytes)) - frameBytes;
                var seconds = Math.Max(_messages < 0 ? -_messages / _rate : 0, _bytes < 0 ? -_bytes / _rateBytes : 0);
                return TimeSpan.FromSeconds(seconds);
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
            }

            _owner.Leave(this);
        }
    }
}
