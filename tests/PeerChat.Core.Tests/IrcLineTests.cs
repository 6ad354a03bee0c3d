using System.Text;
using PeerChat.Core.Irc;

namespace PeerChat.Core.Tests;

[Trait("Category", "Unit")]
public sealed class IrcLineTests
{
    private static IrcParseResult Parse(string line) => IrcLine.Parse(Encoding.UTF8.GetBytes(line));

    private static IrcMessage Parsed(string line)
    {
        var result = Parse(line);
        Assert.True(result.Success, $"{line} -> {result.Error}");
        return result.Message!;
    }

    [Fact]
    public void APlainLine_HasCommandInUpperCase_AndItsParameters_TrailingWithItsSpaces()
    {
        var message = Parsed("privmsg #everyone :hello there: you\r\n");

        Assert.Null(message.Source);
        Assert.Empty(message.Tags);
        Assert.Equal("PRIVMSG", message.Command);
        Assert.Equal(["#everyone", "hello there: you"], message.Parameters);
    }

    [Fact]
    public void SourceAndMiddleParameters_AreSplitOnSpaces_ExtraSpacesIgnored()
    {
        var message = Parsed(":alice!alice@host  USER  alice 0 *  :Alice A.");

        Assert.Equal("alice!alice@host", message.Source);
        Assert.Equal("USER", message.Command);
        Assert.Equal(["alice", "0", "*", "Alice A."], message.Parameters);
    }

    [Theory]
    [InlineData("PING :", "")]
    [InlineData("PING ::x", ":x")]
    [InlineData("PING a:b", "a:b")]
    public void TheTrailingParameter_MayBeEmpty_OrStartWithAColon(string line, string expected)
    {
        Assert.Equal([expected], Parsed(line).Parameters);
    }

    [Fact]
    public void Tags_AreUnescaped_KeepTheirOrder_AndARepeatedKeyKeepsItsLastValue()
    {
        var message = Parsed(@"@time=2026-01-01T00:00:00.000Z;+example.com/x=a\:b\sc\\d\re\nf\g\;flag;time=later :src PRIVMSG nick :hi");

        Assert.Equal(["+example.com/x", "flag", "time"], message.Tags.Select(t => t.Key));
        Assert.Equal("a;b c\\d\re\nfg", message.Tag("+example.com/x"));
        Assert.Equal("", message.Tag("flag"));
        Assert.Equal("later", message.Tag("time"));
        Assert.Null(message.Tag("absent"));
        Assert.Equal("src", message.Source);
    }

    [Theory]
    [InlineData("", IrcLineError.Empty)]
    [InlineData("   \r\n", IrcLineError.Empty)]
    [InlineData("@a=b", IrcLineError.BadCommand)]
    [InlineData("@a=b ", IrcLineError.BadCommand)]
    [InlineData(":source", IrcLineError.BadCommand)]
    [InlineData(": PRIVMSG x", IrcLineError.BadSource)]
    [InlineData(":source ", IrcLineError.BadCommand)]
    [InlineData("PRIV-MSG x", IrcLineError.BadCommand)]
    [InlineData("12 x", IrcLineError.BadCommand)]
    [InlineData("1234 x", IrcLineError.BadCommand)]
    [InlineData("@=x PING", IrcLineError.BadTags)]
    [InlineData("@a_b=x PING", IrcLineError.BadTags)]
    [InlineData("@/a PING", IrcLineError.BadTags)]
    [InlineData("@+ PING", IrcLineError.BadTags)]
    [InlineData("@; PING", IrcLineError.BadTags)]
    [InlineData("PING a\0b", IrcLineError.ForbiddenCharacter)]
    [InlineData("PING a\rb", IrcLineError.ForbiddenCharacter)]
    [InlineData("PING a\nb", IrcLineError.ForbiddenCharacter)]
    [InlineData("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", IrcLineError.TooManyParameters)]
    public void AMalformedLine_IsATypedError(string line, IrcLineError expected)
    {
        Assert.Equal(expected, Parse(line).Error);
    }

    [Fact]
    public void FifteenParameters_AreAllowed()
    {
        Assert.Equal(15, Parsed("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :15 16").Parameters.Count);
    }

    [Fact]
    public void TheBody_MayHave510BytesBeforeItsCrLf_NotOneMore_WhateverTheTags()
    {
        var tags = "@" + new string('t', 8000) + " ";
        var body510 = "PRIVMSG #everyone :" + new string('x', 510 - 19);
        var body511 = body510 + "x";

        Assert.True(Parse(body510 + "\r\n").Success);
        Assert.True(Parse(tags + body510).Success);
        var tooLong = Parse(body511 + "\r\n");
        Assert.Equal(IrcLineError.InputTooLong, tooLong.Error);
        Assert.Equal("PRIVMSG", tooLong.Command);
        Assert.Equal(IrcLineError.InputTooLong, Parse(tags + body511).Error);
    }

    [Fact]
    public void TheTags_MayHave8191BytesWithTheirAtAndSpace_NotOneMore()
    {
        var tags8191 = "@" + new string('t', 8189) + " ";

        Assert.True(Parse(tags8191 + "PING x").Success);
        var tooLong = Parse("@" + new string('t', 8190) + " ping x");
        Assert.Equal(IrcLineError.TagsTooLong, tooLong.Error);
        Assert.Equal("PING", tooLong.Command);
    }

    [Fact]
    public void InvalidUtf8_IsRefused_AndNamesTheCommand()
    {
        byte[] latin1 = [.. "PRIVMSG #everyone :caf"u8, 0xE9, .. "\r\n"u8];
        byte[] surrogate = [.. "PRIVMSG bob :"u8, 0xED, 0xA0, 0x80];
        byte[] inTags = [.. "@a="u8, 0xFF, .. " PING x"u8];

        Assert.Equal(new IrcParseResult(null, IrcLineError.InvalidUtf8, "PRIVMSG"), IrcLine.Parse(latin1));
        Assert.Equal(IrcLineError.InvalidUtf8, IrcLine.Parse(surrogate).Error);
        Assert.Equal(IrcLineError.InvalidUtf8, IrcLine.Parse(inTags).Error);
        Assert.Equal(["#everyone", "café"], Parsed("PRIVMSG #everyone :café").Parameters);
    }

    [Fact]
    public void Format_PutsAColonBeforeTheLastParameter_WhenNeededOrAfterTwo()
    {
        Assert.Equal("JOIN #everyone", IrcLine.Format(new IrcMessage("JOIN", "#everyone")));
        Assert.Equal("PING :", IrcLine.Format(new IrcMessage("PING", "")));
        Assert.Equal("PING ::x", IrcLine.Format(new IrcMessage("PING", ":x")));
        Assert.Equal("PRIVMSG bob :hi", IrcLine.Format(new IrcMessage("PRIVMSG", "bob", "hi")));
        Assert.Equal(
            @"@msgid=a\sb\:c\\;flag :alice!alice@peerchat PRIVMSG #everyone :hello all",
            IrcLine.Format(new IrcMessage([new("msgid", "a b;c\\"), new("flag", "")], "alice!alice@peerchat", "PRIVMSG", ["#everyone", "hello all"])));
    }

    [Theory]
    [InlineData("PRIVMSG", "bad\nline")]
    [InlineData("PRIVMSG", "bad\0line")]
    [InlineData("PRIV MSG", "x")]
    public void Format_RefusesWhatNoLineCanCarry(string command, string text)
    {
        Assert.Throws<ArgumentException>(() => IrcLine.Format(new IrcMessage(command, "bob", text)));
    }

    [Theory]
    [InlineData(@"@a=\\\:\s\r\n;b :s!u@h PRIVMSG #c :x y")]
    [InlineData("CMD a b :")]
    [InlineData("001 alice :Welcome")]
    [InlineData("CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :15 16")]
    public void FormattingAParsedLine_ParsesBackToTheSameMessage(string line)
    {
        var first = Parsed(line);
        var again = Parsed(IrcLine.Format(first));

        Assert.Equal(first.Tags, again.Tags);
        Assert.Equal(first.Source, again.Source);
        Assert.Equal(first.Command, again.Command);
        Assert.Equal(first.Parameters, again.Parameters);
    }
}
