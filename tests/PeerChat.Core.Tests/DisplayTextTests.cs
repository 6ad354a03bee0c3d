using PeerChat.Core.Text;

namespace PeerChat.Core.Tests;

[Trait("Category", "Unit")]
public sealed class DisplayTextTests
{
    [Theory]
    [InlineData("plain text, ünïcödé", "plain text, ünïcödé")]
    [InlineData("a\rb\nc\td\u0000", "a␍b␊c␉d␀")]
    [InlineData("\u001b]0;pwned\u0007\u001b[2K", "␛]0;pwned␇␛[2K")]
    [InlineData("del\u007f c1\u0085\u009b", "del␡ c1\\u0085\\u009b")]
    [InlineData("bidi\u202eevil\u2066", "bidi\\u202eevil\\u2066")]
    public void Escape_ShowsEveryControlCharacterVisibly(string raw, string shown)
    {
        Assert.Equal(shown, DisplayText.Escape(raw));
    }

    [Fact]
    public void Escape_OfSafeText_ReturnsTheSameString()
    {
        const string text = "nothing to escape";

        Assert.Same(text, DisplayText.Escape(text));
    }

    [Fact]
    public void EscapeLines_KeepsLineBreaks_IndentsContinuations_AndShowsCarriageReturns()
    {
        Assert.Equal("one␍fake\n    two\n    ␛[2Kthree", DisplayText.EscapeLines("one\rfake\ntwo\n\u001b[2Kthree", "    "));
    }

    [Fact]
    public void UntrustedUserName_KeepsAValidName_AndCutsMarksAndEscapesAnythingElse()
    {
        var hostile = "\u001b[2K" + new string('x', 4000);

        Assert.Equal("Alice.B-1_", DisplayText.UntrustedUserName("Alice.B-1_"));
        Assert.Equal($"<invalid name, 4004 chars: ␛[2K{new string('x', 28)}…>", DisplayText.UntrustedUserName(hostile));
        Assert.Equal("<invalid name, 0 chars: >", DisplayText.UntrustedUserName(string.Empty));
    }
}
