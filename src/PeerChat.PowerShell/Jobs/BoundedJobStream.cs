using System.Collections;
using System.Management.Automation;

namespace PeerChat.PowerShell.Jobs;

/// <summary>
/// Keeps a job's stream (a <see cref="PSDataCollection{T}"/> that only Receive-Job empties) at a
/// bound by dropping its oldest items. The collection has no cheap way to drop from the front:
/// RemoveAt(0) moves every item (4 µs at 10,000 items, measured), and so does its own ReadAll.
/// So the oldest tenth goes at once, shifted out in place under the collection's own lock (which
/// Receive-Job takes too, so it never sees a half-trimmed stream): about one move per added item.
/// </summary>
internal static class BoundedJobStream
{
    /// <summary>
    /// Trims <paramref name="stream"/> when it holds more than <paramref name="limit"/> items, and
    /// returns how many it dropped and whether a new gap began (no marker of an earlier trim was still
    /// unread). With a <paramref name="marker"/>, the first item afterwards is
    /// the marker made from the count dropped since the last read (the previous marker's count, when
    /// it is still at the head, plus this trim's): one marker per gap, however often it is trimmed.
    /// </summary>
    public static (int Dropped, bool NewGap) Trim<T>(PSDataCollection<T> stream, int limit, Func<T, long?>? droppedSoFar = null, Func<long, T>? marker = null)
    {
        if (stream.Count <= limit)
        {
            return (0, false);
        }

        lock (((ICollection)stream).SyncRoot)
        {
            var count = stream.Count;
            if (count <= limit)
            {
                return (0, false);
            }

            // After a trim a tenth of the room is free again, so trims are rare; the marker takes a place.
            var target = limit - Math.Max(1, limit / 10);
            var earlier = marker is not null && count > 0 ? droppedSoFar!(stream[0]) : null;
            var from = earlier is null ? 0 : 1;
            var keep = marker is null ? target : target - 1;
            var drop = count - from - keep;
            var at = 0;
            if (marker is not null)
            {
                stream[at++] = marker((earlier ?? 0) + drop);
            }

            for (var i = from + drop; i < count; i++)
            {
                stream[at++] = stream[i];
            }

            for (var i = count - 1; i >= at; i--)
            {
                stream.RemoveAt(i);
            }

            return (drop, earlier is null);
        }
    }
}
