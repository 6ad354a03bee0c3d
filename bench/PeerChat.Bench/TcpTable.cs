using System.Globalization;

namespace PeerChat.Bench;

/// <summary>The kernel's table of IPv4 TCP sockets (/proc/net/tcp), for servers that cannot be asked what they hold.</summary>
internal static class TcpTable
{
    private const string Listen = "0A";
    private const string TimeWait = "06";

    /// <summary>
    /// The sockets a server on <paramref name="port"/> still holds for its clients: every socket on that
    /// local port except the listener and TIME_WAIT (which only the kernel keeps). A socket in
    /// CLOSE_WAIT counts: its client has gone, the server has not closed it yet.
    /// </summary>
    public static int ServerSockets(int port)
    {
        var local = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var count = 0;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // "  sl  local_address rem_address   st ...": "0: 0100007F:1F90 0100007F:C350 01 ..."
            var fields = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
            if (fields[1].EndsWith(local, StringComparison.Ordinal) && fields[3] is not Listen and not TimeWait)
            {
                count++;
            }
        }

        return count;
    }
}
