using PeerChat.Core.Chat;
using PeerChat.Core.Irc;

namespace PeerChat.Core.Tests.Irc;

/// <summary>Reading CHATHISTORY commands: every subcommand, its selectors and limit, and a clear FAIL for what is wrong.</summary>
public sealed class ChatHistoryRequestTests
{
    private static readonly string Id = MessageIds.Next();

    [Fact]
    public void EverySubcommand_IsRead_WithItsTargetSelectorsAndLimit()
    {
        var latest = Parse("LATEST", "#ops", "*", "50");
        Assert.Equal((ChatHistorySubcommand.Latest, "#ops", true, 50), (latest.Subcommand, latest.Target, latest.First.IsNone, latest.Limit));

        var before = Parse("before", "bob", "msgid=" + Id, "10");
        Assert.Equal((ChatHistorySubcommand.Before, "bob", Id), (before.Subcommand, before.Target, before.First.MessageId));

        var after = Parse("AFTER", "#ops", "timestamp=2026-11-01T12:00:00.250Z", "5");
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 12, 0, 0, 250, TimeSpan.Zero), after.First.Timestamp);

        Assert.Equal(ChatHistorySubcommand.Around, Parse("AROUND", "#ops", "msgid=" + Id, "7").Subcommand);

        var between = Parse("BETWEEN", "#ops", "msgid=" + Id, "timestamp=2026-11-01T12:00:00Z", "9");
        Assert.Equal((Id, 9), (between.First.MessageId, between.Limit));
        Assert.NotNull(between.Second.Timestamp);

        var targets = Parse("TARGETS", "timestamp=2026-11-01T12:00:00Z", "timestamp=2026-11-02T12:00:00Z", "20");
        Assert.Equal((ChatHistorySubcommand.Targets, 20), (targets.Subcommand, targets.Limit));
        Assert.NotNull(targets.Second.Timestamp);
    }

    [Fact]
    public void ALimitPastTheServersMost_IsCutToIt()
    {
        Assert.Equal(100, Parse("LATEST", "#ops", "*", "5000").Limit);
        Assert.Equal(100, Parse("LATEST", "#ops", "*", "99999999999999999999").Limit);
    }

    [Theory]
    [InlineData(ChatHistoryFailure.NeedMoreParams, "LATEST", "#ops", "*")]
    [InlineData(ChatHistoryFailure.NeedMoreParams, "BETWEEN", "#ops", "*", "10")]
    [InlineData(ChatHistoryFailure.NeedMoreParams)]
    [InlineData(ChatHistoryFailure.UnknownCommand, "SINCE", "#ops", "*", "10")]
    [InlineData(ChatHistoryFailure.InvalidParams, "BEFORE", "#ops", "*", "10")]
    [InlineData(ChatHistoryFailure.InvalidParams, "BEFORE", "#ops", "msgid=not-an-id", "10")]
    [InlineData(ChatHistoryFailure.InvalidParams, "AFTER", "#ops", "timestamp=yesterday", "10")]
    [InlineData(ChatHistoryFailure.InvalidParams, "AFTER", "#ops", "id=m123", "10")]
    [InlineData(ChatHistoryFailure.InvalidParams, "LATEST", "#ops", "*", "0")]
    [InlineData(ChatHistoryFailure.InvalidParams, "LATEST", "#ops", "*", "-5")]
    [InlineData(ChatHistoryFailure.InvalidParams, "LATEST", "#ops", "*", "ten")]
    [InlineData(ChatHistoryFailure.InvalidParams, "TARGETS", "msgid=m123", "timestamp=2026-11-01T12:00:00Z", "10")]
    public void AWrongCommand_GetsItsStandardReplyCode(string code, params string[] parameters)
    {
        Assert.Null(ChatHistoryRequest.Parse(parameters, 100, out var failure));
        Assert.NotNull(failure);
        Assert.Equal(code, failure.Code);
        Assert.False(string.IsNullOrWhiteSpace(failure.Description));
    }

    [Fact]
    public void SelectorsWrite_AsAClientWouldSendThem()
    {
        Assert.Equal("*", HistorySelector.None.ToString());
        Assert.Equal("msgid=" + Id, HistorySelector.ForMessage(Id).ToString());
        Assert.Equal("timestamp=2026-11-01T12:00:00.123Z", HistorySelector.ForTime(new DateTimeOffset(2026, 11, 1, 12, 0, 0, 123, TimeSpan.Zero).AddTicks(5)).ToString());
    }

    private static ChatHistoryRequest Parse(params string[] parameters)
    {
        var request = ChatHistoryRequest.Parse(parameters, 100, out var failure);
        Assert.True(request is not null, failure?.Description);
        return request;
    }
}
