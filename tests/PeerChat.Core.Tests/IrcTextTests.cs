using System.Text;
using PeerChat.Core.Chat;
using PeerChat.Core.Irc;

namespace PeerChat.Core.Tests;

/// <summary>How a PeerChat message becomes IRC lines: one line whole when it fits, cut only where it must.</summary>
[Trait("Category", "Unit")]
public sealed class IrcTextTests
{
    // ":alice!alice@peerchat PRIVMSG #everyone :" is 41 bytes; 510 before the CRLF leaves 469 for the text.
    private const int TextBudget = IrcText.LineBytes - 41;

    private static string Lines(string text, string tags = "", string? data = null) =>
        Encoding.UTF8.GetString(IrcText.MessageLines(
            new ChatMessage("m1", ConversationKey.Everyone, "alice", "c1", null, text, data, null, DateTimeOffset.UnixEpoch),
            roomName: null,
            tags));

    [Fact]
    public void AShortText_IsOneLine_WithItsTagsAndPrefix()
    {
        Assert.Equal("@time=x :alice!alice@peerchat PRIVMSG #everyone :héllo 😀\r\n", Lines("héllo 😀", "@time=x "));
        Assert.Equal(":alice!alice@peerchat NOTICE #everyone :hi\r\n", Lines("hi", data: IrcText.NoticeData));
    }

    [Fact]
    public void ATextOfExactlyTheBudget_IsOneLine_AndOneByteMore_IsTwo()
    {
        var full = new string('a', TextBudget);
        Assert.Equal($":alice!alice@peerchat PRIVMSG #everyone :{full}\r\n", Lines(full));

        // A two-byte character that would pass the budget goes to the next line whole.
        var over = Lines(new string('a', TextBudget - 1) + "é");
        Assert.Equal(
            $":alice!alice@peerchat PRIVMSG #everyone :{new string('a', TextBudget - 1)}\r\n:alice!alice@peerchat PRIVMSG #everyone :é\r\n",
            over);
    }

    [Fact]
    public void LineBreaksCrAndNul_AreNeverWrittenInsideALine()
    {
        Assert.Equal(
            ":alice!alice@peerchat PRIVMSG #everyone :one\r\n:alice!alice@peerchat PRIVMSG #everyone :twothree\r\n",
            Lines("one\r\ntwo\0three"));
        Assert.Equal(":alice!alice@peerchat PRIVMSG #everyone :ab\r\n", Lines("a\rb"));
        Assert.Equal(":alice!alice@peerchat PRIVMSG #everyone :\r\n", Lines(string.Empty));
    }
}
