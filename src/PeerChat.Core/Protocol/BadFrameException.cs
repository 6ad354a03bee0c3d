namespace PeerChat.Core.Protocol;

/// <summary>
/// A line read from the network that is not a frame, with the <c>error</c> code that answers it
/// (<see cref="ErrorCodes.BadFrame"/> or <see cref="ErrorCodes.FrameTooLarge"/>), so that no
/// reader needs to tell them apart by the message text.
/// </summary>
public sealed class BadFrameException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
