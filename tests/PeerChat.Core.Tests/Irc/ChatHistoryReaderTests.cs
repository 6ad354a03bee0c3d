using PeerChat.Core.Chat;
using PeerChat.Core.Irc;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;

namespace PeerChat.Core.Tests.Irc;

/// <summary>
/// CHATHISTORY's subcommands built from the core's history pages, over a real SQLite store holding
/// 30 messages one second apart (m0..m29, m{i} sent at Start + i s).
/// </summary>
public sealed class ChatHistoryReaderTests : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, 0, TimeSpan.Zero);
    private static readonly ConversationKey Room = ConversationKey.ForRoom("ops");

    private readonly TemporaryFolder _folder = new();
    private SqliteMessageStore _store = null!;
    private List<string> _ids = [];

    public async Task InitializeAsync()
    {
        _store = StoreFiles.Open(_folder);
        var messages = Enumerable.Range(0, 30).Select(i => StoreFiles.Message(Room, "alice", $"message {i}", Start.AddSeconds(i).AddTicks(4321))).ToList();
        foreach (var message in messages)
        {
            await _store.AppendAsync(message);
        }

        _ids = [.. messages.Select(m => m.MessageId)];
    }

    // xunit closes the store (DisposeAsync) before it removes the folder (Dispose).
    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Latest_IsTheNewest_AndOnlyThoseAfterItsBound()
    {
        Assert.Equal(Range(20, 29), await ReadAsync("LATEST", "*", 10));
        Assert.Equal(Range(26, 29), await ReadAsync("LATEST", Msg(25), 10));
        Assert.Equal(Range(20, 29), await ReadAsync("LATEST", Msg(5), 10));
        Assert.Equal(Range(26, 29), await ReadAsync("LATEST", Time(25), 10));
        Assert.Empty(await ReadAsync("LATEST", Msg(29), 10));
    }

    [Fact]
    public async Task BeforeAndAfter_ExcludeTheirBound_ByIdOrByTheShownTime()
    {
        Assert.Equal(Range(5, 9), await ReadAsync("BEFORE", Msg(10), 5));
        Assert.Equal(Range(5, 9), await ReadAsync("BEFORE", Time(10), 5));
        Assert.Equal(Range(0, 2), await ReadAsync("BEFORE", Msg(3), 5));
        Assert.Equal(Range(25, 29), await ReadAsync("BEFORE", "timestamp=2030-01-01T00:00:00.000Z", 5));
        Assert.Equal(Range(11, 15), await ReadAsync("AFTER", Msg(10), 5));
        Assert.Equal(Range(11, 15), await ReadAsync("AFTER", Time(10), 5));
        Assert.Equal(Range(0, 4), await ReadAsync("AFTER", "timestamp=2020-01-01T00:00:00.000Z", 5));
        Assert.Empty(await ReadAsync("AFTER", Msg(29), 5));
    }

    [Fact]
    public async Task Around_TakesHalfEachSide_WithTheSelectedMessage_AndFillsFromTheOtherSideAtAnEnd()
    {
        Assert.Equal(Range(8, 12), await ReadAsync("AROUND", Msg(10), 5));
        Assert.Equal(Range(8, 12), await ReadAsync("AROUND", Time(10), 5));
        Assert.Equal(Range(0, 4), await ReadAsync("AROUND", Msg(1), 5));
        Assert.Equal(Range(0, 4), await ReadAsync("AROUND", Msg(0), 5));
        Assert.Equal(Range(25, 29), await ReadAsync("AROUND", Msg(29), 5));
        Assert.Equal(Range(10, 10), await ReadAsync("AROUND", Msg(10), 1));
    }

    [Fact]
    public async Task Between_ExcludesBothBounds_ForwardsOrBackwards_NearestTheFirstWhenCut()
    {
        Assert.Equal(Range(4, 8), await ReadAsync("BETWEEN", Msg(3), 100, Msg(9)));
        Assert.Equal(Range(4, 8), await ReadAsync("BETWEEN", Msg(9), 100, Msg(3)));
        Assert.Equal(Range(4, 5), await ReadAsync("BETWEEN", Msg(3), 2, Msg(9)));
        Assert.Equal(Range(7, 8), await ReadAsync("BETWEEN", Msg(9), 2, Msg(3)));
        Assert.Equal(Range(4, 8), await ReadAsync("BETWEEN", Time(3), 100, Time(9)));
        Assert.Equal(Range(4, 8), await ReadAsync("BETWEEN", Time(9), 100, Msg(3)));
        Assert.Empty(await ReadAsync("BETWEEN", Msg(3), 100, Msg(4)));
        Assert.Empty(await ReadAsync("BETWEEN", Msg(3), 100, Msg(3)));
    }

    [Fact]
    public async Task PagingBackwardsById_AndForwardsByTime_WalksEveryMessageOnce()
    {
        var backwards = new List<string>();
        var page = await ReadAsync("LATEST", "*", 7);
        for (var pages = 0; page.Count > 0; pages++)
        {
            Assert.True(pages < 10, "paging backwards did not end");
            backwards.InsertRange(0, page);
            page = await ReadAsync("BEFORE", "msgid=" + page[0], 7);
        }

        var forwards = new List<string>();
        var bound = "timestamp=2026-11-01T11:00:00.000Z";
        for (var pages = 0; ; pages++)
        {
            Assert.True(pages < 10, "paging forwards did not end");
            var answer = await ReadAnswerAsync("AFTER", bound, 7);
            if (answer.Messages.Count == 0)
            {
                break;
            }

            forwards.AddRange(answer.Messages.Select(m => m.MessageId));
            bound = "timestamp=" + IrcTime.ToServerTime(answer.Messages[^1].SentAt);
        }

        Assert.Equal(_ids, backwards);
        Assert.Equal(_ids, forwards);
    }

    [Fact]
    public async Task AnUnknownMessageId_IsNoSuchMessage()
    {
        var unknown = "msgid=" + MessageIds.Next();
        foreach (var subcommand in new[] { "BEFORE", "AFTER", "AROUND", "LATEST" })
        {
            Assert.Equal(ChatError.NoSuchMessage, (await ReadAnswerAsync(subcommand, unknown, 5)).Error);
        }

        Assert.Equal(ChatError.NoSuchMessage, (await ReadAnswerAsync("BETWEEN", Msg(3), 5, unknown)).Error);
    }

    private string Msg(int index) => "msgid=" + _ids[index];

    private static string Time(int index) => "timestamp=" + IrcTime.ToServerTime(Start.AddSeconds(index));

    private List<string> Range(int first, int last) => _ids[first..(last + 1)];

    private async Task<List<string>> ReadAsync(string subcommand, string selector, int limit, string? second = null)
    {
        var answer = await ReadAnswerAsync(subcommand, selector, limit, second);
        Assert.Equal(ChatError.None, answer.Error);
        return [.. answer.Messages.Select(m => m.MessageId)];
    }

    private async Task<ChatHistoryAnswer> ReadAnswerAsync(string subcommand, string selector, int limit, string? second = null)
    {
        string[] parameters = second is null
            ? [subcommand, "#ops", selector, limit.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : [subcommand, "#ops", selector, second, limit.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var request = ChatHistoryRequest.Parse(parameters, 200, out var failure);
        Assert.True(request is not null, failure?.Description);
        var reader = new ChatHistoryReader(async query =>
        {
            try
            {
                return new HistoryResult(ChatError.None, await _store.ReadHistoryAsync(Room, query), "ops");
            }
            catch (UnknownMessageException)
            {
                return HistoryResult.Failed(ChatError.NoSuchMessage);
            }
        });
        return await reader.ReadAsync(request);
    }
}
