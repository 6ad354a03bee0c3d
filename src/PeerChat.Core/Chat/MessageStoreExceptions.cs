namespace PeerChat.Core.Chat;

/// <summary>
/// The file given as a message store is not one PeerChat can use: not a database, another
/// application's database, one written by a newer PeerChat, or a damaged one. The file is left as
/// it was; the message says which, so that whoever started the server can act on it.
/// </summary>
public sealed class MessageStoreFormatException(string path, string reason, Exception? innerException = null)
    : Exception($"The message store '{path}' cannot be used: {reason} It was left untouched.", innerException)
{
    public string Path { get; } = path;
}

/// <summary>The message store file is already open in another store (this process or another): one file has one writer.</summary>
public sealed class MessageStoreInUseException(string path, Exception? innerException = null)
    : Exception($"The message store '{path}' is already in use by another PeerChat server; each server needs its own store file.", innerException)
{
    public string Path { get; } = path;
}
