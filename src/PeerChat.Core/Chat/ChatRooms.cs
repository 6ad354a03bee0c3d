using System.Collections.Concurrent;

namespace PeerChat.Core.Chat;

/// <summary>
/// Rooms and their members in memory, loaded from the store at start and kept in step with it.
/// Readers (a message to a room, a membership check) take no lock: each room's member set is
/// replaced, never changed, so a reader holds a consistent one. Changes come one at a time from
/// the core, which writes them to the store first.
/// </summary>
internal sealed class ChatRooms
{
    // Keys are names in lower case: rooms, like users, are named case-insensitively.
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _roomsPerUser = new(StringComparer.Ordinal);

    public int Count => _rooms.Count;

    public ICollection<Room> All => _rooms.Values;

    public Room? Find(string name) => _rooms.TryGetValue(Key(name), out var room) ? room : null;

    public int RoomsOf(string user) => _roomsPerUser.TryGetValue(Key(user), out var count) ? count : 0;

    public IEnumerable<Room> JoinedBy(string user)
    {
        var key = Key(user);
        return _rooms.Values.Where(r => r.Members.Contains(key));
    }

    /// <summary>Adds a room as the store knows it (at start) or as a join created it.</summary>
    public Room Add(string name, IEnumerable<string> members)
    {
        var room = _rooms.GetOrAdd(Key(name), static (key, name) => new Room(name, key), name);
        foreach (var member in members)
        {
            AddMember(room, member);
        }

        return room;
    }

    /// <summary>False when <paramref name="user"/> was a member already.</summary>
    public bool AddMember(Room room, string user)
    {
        var key = Key(user);
        if (room.Members.Contains(key))
        {
            return false;
        }

        room.Members = new HashSet<string>(room.Members, StringComparer.Ordinal) { key };
        _roomsPerUser.AddOrUpdate(key, 1, static (_, count) => count + 1);
        return true;
    }

    /// <summary>False when <paramref name="user"/> was not a member.</summary>
    public bool RemoveMember(Room room, string user)
    {
        var key = Key(user);
        if (!room.Members.Contains(key))
        {
            return false;
        }

        var members = new HashSet<string>(room.Members, StringComparer.Ordinal);
        members.Remove(key);
        room.Members = members;
        _roomsPerUser.AddOrUpdate(key, 0, static (_, count) => count - 1);
        _roomsPerUser.TryRemove(new KeyValuePair<string, int>(key, 0));
        return true;
    }

    // User and room names are ASCII (PasswordRules), so invariant lower case is exact.
    public static string Key(string name) => name.ToLowerInvariant();

    /// <summary>One room. A room with no members stays, with its history, until the server stops.</summary>
    internal sealed class Room(string name, string key)
    {
        private volatile HashSet<string> _members = new(StringComparer.Ordinal);

        /// <summary>The room as first created.</summary>
        public string Name { get; } = name;

        public ConversationKey Conversation { get; } = ConversationKey.ForRoom(key);

        /// <summary>Member names in lower case; a set that is replaced, never changed.</summary>
        public HashSet<string> Members
        {
            get => _members;
            set => _members = value;
        }

        public bool Has(string user) => _members.Contains(Key(user));
    }
}
