namespace PeerChat.Core.Chat;

/// <summary>
/// A message the server accepted, as the chat core and the store know it: no wire format in it, so
/// that every front end (peerchat/1, IRC, WebSocket) renders it its own way.
/// </summary>
/// <param name="MessageId">Unique for ever (<see cref="MessageIds"/>); the cursor into its conversation.</param>
/// <param name="Conversation">Everyone, a room, or the direct conversation of sender and recipient.</param>
/// <param name="From">The sender's user name, as its account spells it.</param>
/// <param name="FromClientId">The sender's connection when it was sent; null when not known (a message read back from a store written by another process).</param>
/// <param name="To">The recipient of a direct message, as its account spells it; null otherwise.</param>
/// <param name="Text">The message text.</param>
/// <param name="Data">The optional JSON object sent with it, as its JSON text, delivered verbatim; null when none.</param>
/// <param name="DirectId">A direct message's id given by its sender, so a receiver keeps one copy of a message that also came directly; null when none.</param>
/// <param name="SentAt">When the server accepted it.</param>
public sealed record ChatMessage(
    string MessageId,
    ConversationKey Conversation,
    string From,
    string? FromClientId,
    string? To,
    string Text,
    string? Data,
    string? DirectId,
    DateTimeOffset SentAt);
