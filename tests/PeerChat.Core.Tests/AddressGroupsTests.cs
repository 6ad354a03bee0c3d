using System.Net;
using PeerChat.Core.Server;

namespace PeerChat.Core.Tests;

/// <summary>Per-address limits count an IPv6 /64 as one address; the limits themselves are tested over sockets in LimitsTests.</summary>
[Trait("Category", "Unit")]
public sealed class AddressGroupsTests
{
    [Theory]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::")]
    [InlineData("::1", "::")]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    public void AnAddress_CountsUnderItsGroup(string address, string group) =>
        Assert.Equal(IPAddress.Parse(group), AddressGroups.Of(IPAddress.Parse(address)));

    [Fact]
    public void TwoIPv6AddressesOfOneSlash64_AreOneGroup_AndOfNeighbouringSlash64s_AreTwo()
    {
        Assert.Equal(AddressGroups.Of(IPAddress.Parse("2001:db8:0:7::1")), AddressGroups.Of(IPAddress.Parse("2001:db8:0:7:ffff::9")));
        Assert.NotEqual(AddressGroups.Of(IPAddress.Parse("2001:db8:0:7::1")), AddressGroups.Of(IPAddress.Parse("2001:db8:0:8::1")));
    }
}
