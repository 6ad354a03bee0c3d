namespace PeerChat.Core.Server;

/// <summary>
/// Every connection the server holds, for its sweeps and its stop: an array of slots rather than a
/// dictionary. Nothing looks a connection up here (by id or otherwise); it is only added, removed
/// and visited, and a dictionary's node (48 bytes) is held by every idle connection for nothing.
/// A connection keeps its slot's index (<see cref="IServerConnection.TableSlot"/>).
/// </summary>
internal sealed class ConnectionTable
{
    private readonly object _gate = new();
    private IServerConnection?[] _slots = new IServerConnection?[64];

    // Freed slots, taken again first; _used is how many slots from the start have ever been taken.
    private readonly Stack<int> _free = new();
    private int _used;

    public void Add(IServerConnection connection)
    {
        lock (_gate)
        {
            var slot = _free.Count > 0 ? _free.Pop() : _used++;
            if (slot == _slots.Length)
            {
                var grown = new IServerConnection?[_slots.Length * 2];
                Array.Copy(_slots, grown, _slots.Length);

                // Published after the copy: a sweep reading the old array meanwhile misses at most
                // the connection being added, as a sweep that began a moment earlier would.
                Volatile.Write(ref _slots, grown);
            }

            connection.TableSlot = slot;
            Volatile.Write(ref _slots[slot], connection);
        }
    }

    /// <summary>Takes the connection out; a second call, or one for a connection never added, does nothing.</summary>
    public void Remove(IServerConnection connection)
    {
        lock (_gate)
        {
            var slot = connection.TableSlot;
            if (slot < 0 || !ReferenceEquals(_slots[slot], connection))
            {
                return;
            }

            Volatile.Write(ref _slots[slot], null);
            connection.TableSlot = -1;
            _free.Push(slot);
        }
    }

    /// <summary>
    /// Visits the connections held when the visit reaches their slot, without a lock and without
    /// copying (as the dictionary's enumeration did): one added or removed meanwhile may or may not
    /// be visited.
    /// </summary>
    public Enumerator GetEnumerator() => new(Volatile.Read(ref _slots));

    public struct Enumerator(IServerConnection?[] slots)
    {
        private int _index = -1;

        public IServerConnection Current { get; private set; } = null!;

        public bool MoveNext()
        {
            while (++_index < slots.Length)
            {
                if (Volatile.Read(ref slots[_index]) is { } connection)
                {
                    Current = connection;
                    return true;
                }
            }

            return false;
        }
    }
}
