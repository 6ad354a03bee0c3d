namespace PeerChat.Core.Server;

/// <summary>
/// A broadcast as it is queued for each recipient: one object per broadcast, shared by all of
/// them, whose type marks the frame as one that a client falling behind may lose. Marking it this
/// way keeps each queued entry a single reference, so an idle client's queue costs no more.
/// </summary>
internal sealed class BroadcastFrame(byte[] bytes)
{
    public byte[] Bytes { get; } = bytes;
}
