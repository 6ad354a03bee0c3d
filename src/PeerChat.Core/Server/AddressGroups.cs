using System.Net;
using System.Net.Sockets;

namespace PeerChat.Core.Server;

/// <summary>
/// The unit that per-address limits count: an IPv4 address, or the /64 prefix of an IPv6 address.
/// One IPv6 subscriber is routinely handed a whole /64 (billions of addresses), so counting single
/// IPv6 addresses would let one attacker look like billions of clients; mail servers and IRC
/// servers such as Ergo group the same way.
/// </summary>
internal static class AddressGroups
{
    private const int IPv6PrefixBytes = 8;

    /// <summary>The group of <paramref name="address"/>: IPv4 (also when mapped into IPv6) as is, IPv6 with its last 64 bits zeroed.</summary>
    public static IPAddress Of(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[IPv6PrefixBytes..].Clear();
        return new IPAddress(bytes);
    }
}
