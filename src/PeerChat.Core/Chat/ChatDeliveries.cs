namespace PeerChat.Core.Chat;

/// <summary>
/// Something the core hands to many sessions at once. Each front end renders it once, on first
/// use, and every session of that front end shares the rendering: a broadcast to two thousand
/// peerchat/1 clients is serialised once, not two thousand times.
/// </summary>
public abstract class SharedDelivery
{
    // The first front end's rendering is read without a lock; any other front end's sits in a
    // small list under the lock (a second front end is rare, a third rarer).
    private object? _firstRenderer;
    private object? _firstRendering;
    private List<KeyValuePair<object, object>>? _otherRenderings;

    /// <summary>
    /// This delivery as <paramref name="renderer"/> (any object a front end keeps for the purpose)
    /// renders it, rendered at the first call and shared after that.
    /// </summary>
    public T RenderedBy<TDelivery, T>(object renderer, Func<TDelivery, T> render)
        where TDelivery : SharedDelivery
        where T : class
    {
        if (ReferenceEquals(Volatile.Read(ref _firstRenderer), renderer))
        {
            return (T)_firstRendering!;
        }

        lock (this)
        {
            if (ReferenceEquals(_firstRenderer, renderer))
            {
                return (T)_firstRendering!;
            }

            // A loop, not List.Find with a lambda: the lambda would capture renderer, and a closure
            // of a parameter is made where the method begins, so every delivery made one.
            if (_otherRenderings is { } others)
            {
                foreach (var (other, rendering) in others)
                {
                    if (ReferenceEquals(other, renderer))
                    {
                        return (T)rendering;
                    }
                }
            }

            var rendered = render((TDelivery)this);
            if (_firstRenderer is null)
            {
                _firstRendering = rendered;
                Volatile.Write(ref _firstRenderer, renderer);
            }
            else
            {
                (_otherRenderings ??= []).Add(new(renderer, rendered));
            }

            return rendered;
        }
    }
}

/// <summary>A message on its way to sessions.</summary>
public sealed class MessageDelivery(ChatMessage message, string? roomName = null) : SharedDelivery
{
    public ChatMessage Message { get; } = message;

    /// <summary>A direct message, which a session must not drop for falling behind (kept here: read once per recipient).</summary>
    public bool IsDirect { get; } = message.Conversation.Kind == ConversationKind.Direct;

    /// <summary>A room message's room as first created (its display name); null otherwise.</summary>
    public string? RoomName { get; } = roomName;
}

/// <summary>A user's session began or ended.</summary>
public sealed class PresenceChange(bool joined, string userName, string sessionId, DateTimeOffset at) : SharedDelivery
{
    public bool Joined { get; } = joined;

    public string UserName { get; } = userName;

    public string SessionId { get; } = sessionId;

    public DateTimeOffset At { get; } = at;
}

/// <summary>A user joined or left a room.</summary>
public sealed class RoomChange(bool joined, string roomName, string userName, DateTimeOffset at) : SharedDelivery
{
    public bool Joined { get; } = joined;

    /// <summary>The room as first created.</summary>
    public string RoomName { get; } = roomName;

    public string UserName { get; } = userName;

    public DateTimeOffset At { get; } = at;
}
