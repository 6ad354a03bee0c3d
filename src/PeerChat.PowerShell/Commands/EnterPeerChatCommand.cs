using System.Globalization;
using System.Management.Automation.Host;
using System.Management.Automation;
using System.Text;
using PeerChat.Core.Client;
using PeerChat.Core.Text;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// An interactive chat console, like the original program's client: messages appear as they
/// arrive while you type; /list, /broadcast, /msg, msg_TEXT_ADDRESS, /help and /quit, and on a
/// server with a message store /join, /leave, /rooms, /history and /to, the conversation that
/// lines which are not commands go to.
/// </summary>
[Cmdlet(VerbsCommon.Enter, "PeerChat")]
[OutputType(typeof(void))]
public sealed class EnterPeerChatCommand : PeerChatCmdlet
{
    // Keys are polled between short waits for messages, so both appear without delay.
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private readonly StringBuilder _input = new();
    private PeerChatSession _session = null!;
    private PSHostRawUserInterface _raw = null!;

    // Where lines that are not commands go: everyone until /to or /join says otherwise.
    private ConversationRef _current = ConversationRef.Everyone;

    [Parameter(Position = 0, ValueFromPipeline = true)]
    public PeerChatSession? Session { get; set; }

    private string Prompt => _current.Room is { } room ? $"{_session.UserName}#{room}> "
        : _current.With is { } with ? $"{_session.UserName}@{with}> "
        : $"{_session.UserName}> ";

    protected override void ProcessRecord()
    {
        _session = ResolveSession(Session);
        _raw = InteractiveRawUI() ?? throw new PipelineStoppedException();
        Host.UI.WriteLine($"PeerChat: {DisplayText.Escape(_session.ToString())} — type /help for commands, /quit to leave.");
        ShowUnread();
        Host.UI.Write(Prompt);
        while (!CancelToken.IsCancellationRequested)
        {
            var arrived = Await(_session.Live.Inbox.TakeAsync(_ => true, 100, Tick, waitForAll: false, CancelToken));
            foreach (var chatEvent in arrived)
            {
                PrintAbovePrompt(Describe(chatEvent));
            }

            if (_session.Live.IsClosed)
            {
                PrintAbovePrompt($"*** The session ended: {DisplayText.Escape(_session.CloseReason ?? "disconnected")}");
                break;
            }

            if (!ReadKeys())
            {
                break;
            }
        }

        Host.UI.WriteLine();
        Host.UI.WriteLine("Left the chat; the session stays connected.");
    }

    /// <summary>The host's raw UI when it can read keys; otherwise a terminating HostNotInteractive error.</summary>
    private PSHostRawUserInterface? InteractiveRawUI()
    {
        var raw = Host.UI.RawUI;
        try
        {
            if (raw is not null && !Console.IsInputRedirected)
            {
                _ = raw.KeyAvailable;
                return raw;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotImplementedException or PSNotImplementedException or IOException)
        {
            // Hosts with no console of their own (a hosted runspace, a remote session) throw one of
            // these from KeyAvailable rather than say so: the error below names what is missing.
        }

        ThrowTerminatingError(new ErrorRecord(
            new PSInvalidOperationException("Enter-PeerChat needs an interactive console that can read keys; this host cannot. Use Receive-PeerChatMessage and the Send cmdlets in scripts."),
            "HostNotInteractive",
            ErrorCategory.InvalidOperation,
            Host.Name));
        return null;
    }

    /// <summary>Reads the keys typed so far; false when the user quit.</summary>
    private bool ReadKeys()
    {
        while (_raw.KeyAvailable)
        {
            var key = _raw.ReadKey(ReadKeyOptions.NoEcho | ReadKeyOptions.IncludeKeyDown);
            switch (key.VirtualKeyCode)
            {
                case 13: // Enter
                    var line = _input.ToString();
                    _input.Clear();
                    Host.UI.WriteLine();
                    if (!Execute(ConsoleCommand.Parse(line)))
                    {
                        return false;
                    }

                    Host.UI.Write(Prompt);
                    break;
                case 8: // Backspace
                    if (_input.Length > 0)
                    {
                        _input.Length--;
                        Host.UI.Write("\b \b");
                    }

                    break;
                case 27: // Escape clears the line
                    Redraw(string.Empty);
                    break;
                default:
                    if (key.Character != '\0' && !char.IsControl(key.Character))
                    {
                        _input.Append(key.Character);
                        Host.UI.Write(key.Character.ToString());
                    }

                    break;
            }
        }

        return true;
    }

    /// <summary>Runs one command; false for /quit.</summary>
    private bool Execute(ConsoleCommand command)
    {
        try
        {
            switch (command.Kind)
            {
                case ConsoleCommandKind.Quit:
                    return false;
                case ConsoleCommandKind.Empty:
                    break;
                case ConsoleCommandKind.Help:
                    Host.UI.WriteLine(ConsoleCommand.HelpText);
                    break;
                case ConsoleCommandKind.List:
                    foreach (var client in Await(_session.Live.Client.ListAsync(CancelToken)))
                    {
                        var self = client.ClientId == _session.ClientId ? "  (you)" : string.Empty;
                        Host.UI.WriteLine($"  {DisplayText.Escape(client.UserName),-20} {DisplayText.Escape(client.Address),-24} {client.Messages,5} requests{self}");
                    }

                    break;
                case ConsoleCommandKind.Broadcast:
                    var receipt = Await(_session.Live.Client.BroadcastAsync(command.Text, null, CancelToken));
                    Host.UI.WriteLine($"  (sent to {receipt.Recipients})");
                    break;
                case ConsoleCommandKind.Say:
                    Say(command.Text);
                    break;
                case ConsoleCommandKind.To:
                    _current = Resolve(command.Target);
                    Host.UI.WriteLine($"  (talking to {DisplayText.Escape(Describe(_current))})");
                    break;
                case ConsoleCommandKind.Join:
                    var joined = Await(_session.Live.Client.JoinAsync(command.Target, CancelToken));
                    _current = ConversationRef.ForRoom(joined.Room);
                    Host.UI.WriteLine($"  (joined #{DisplayText.Escape(joined.Room)}{(joined.Created ? ", a new room" : string.Empty)}: {DisplayText.Escape(string.Join(", ", joined.Members))})");
                    break;
                case ConsoleCommandKind.Leave:
                    var room = command.Target.Length > 0 ? command.Target : _current.Room;
                    if (room is null)
                    {
                        Host.UI.WriteErrorLine("  You talk to no room: /leave ROOM.");
                        break;
                    }

                    Await(_session.Live.Client.LeaveAsync(room, CancelToken));
                    if (string.Equals(_current.Room, room, StringComparison.OrdinalIgnoreCase))
                    {
                        _current = ConversationRef.Everyone;
                    }

                    Host.UI.WriteLine($"  (left #{DisplayText.Escape(room)})");
                    break;
                case ConsoleCommandKind.Rooms:
                    foreach (var info in Await(_session.Live.Client.ListRoomsAsync(CancelToken)))
                    {
                        var unread = info.Joined ? $", {info.Unread} unread  (joined)" : string.Empty;
                        Host.UI.WriteLine($"  #{DisplayText.Escape(info.Room),-24} {info.Members,4} members, {info.Online} online{unread}");
                    }

                    break;
                case ConsoleCommandKind.History:
                    ShowHistory(command.Target.Length > 0 ? int.Parse(command.Target, CultureInfo.InvariantCulture) : 20);
                    break;
                case ConsoleCommandKind.Message:
                    Send(command.Target, command.Text);
                    break;
                case ConsoleCommandKind.MessageToAddress:
                    var clients = Await(_session.Live.Client.ListAsync(CancelToken));
                    var target = clients.FirstOrDefault(c => c.Address == command.Target || c.PeerEndpoint == command.Target);
                    if (target is null)
                    {
                        Host.UI.WriteErrorLine($"  Nobody online is at {DisplayText.Escape(command.Target)}; /list shows the addresses.");
                        break;
                    }

                    Send(target.UserName, command.Text);
                    break;
                default:
                    Host.UI.WriteErrorLine($"  Unknown command '{command.Text}'. /help lists the commands.");
                    break;
            }
        }
        catch (ChatClientException ex)
        {
            Host.UI.WriteErrorLine($"  {DisplayText.Escape(ex.Message)}");
        }

        return true;
    }

    private void Send(string to, string text)
    {
        var receipt = Await(_session.Live.Client.SendAsync(to, text, null, RoutePreference.Auto, CancelToken));
        Host.UI.WriteLine(receipt.Queued
            ? $"  (queued for {DisplayText.Escape(to)}, who is offline)"
            : $"  (sent to {DisplayText.Escape(to)}, {receipt.Route.ToString().ToLowerInvariant()})");
    }

    /// <summary>A line that is not a command, to the conversation the console talks in.</summary>
    private void Say(string text)
    {
        if (_current.With is { } with)
        {
            Send(with, text);
            return;
        }

        var receipt = Await(_current.Room is { } room
            ? _session.Live.Client.BroadcastAsync(room, text, null, CancelToken)
            : _session.Live.Client.BroadcastAsync(text, null, CancelToken));
        Host.UI.WriteLine($"  (sent to {receipt.Recipients})");
    }

    /// <summary>/to's target: <c>*</c> or <c>everyone</c>, <c>#room</c>, <c>@user</c>; a bare name is a joined room of that name, else a user.</summary>
    private ConversationRef Resolve(string target)
    {
        if (target is "*" or "everyone")
        {
            return ConversationRef.Everyone;
        }

        if (target.StartsWith('#'))
        {
            return ConversationRef.ForRoom(target[1..]);
        }

        if (target.StartsWith('@'))
        {
            return ConversationRef.WithUser(target[1..]);
        }

        var joined = _session.Live.Client.Hello.Supports(ServerExtensions.Rooms)
            ? Await(_session.Live.Client.ListRoomsAsync(CancelToken)).FirstOrDefault(r => r.Joined && string.Equals(r.Room, target, StringComparison.OrdinalIgnoreCase))
            : null;
        return joined is not null ? ConversationRef.ForRoom(joined.Room) : ConversationRef.WithUser(target);
    }

    private static string Describe(ConversationRef conversation) => conversation.Room is not null || conversation.With is not null ? conversation.ToString() : "everyone";

    /// <summary>The last messages of where the console talks, oldest first; marks them read.</summary>
    private void ShowHistory(int count)
    {
        var messages = new List<ChatMessage>();
        var enumerator = _session.Live.Client.ReadHistoryAsync(_current, new ChatHistoryQuery(), count, CancelToken).GetAsyncEnumerator(CancelToken);
        try
        {
            while (Await(enumerator.MoveNextAsync().AsTask()))
            {
                messages.Add(enumerator.Current);
            }
        }
        finally
        {
            Await(enumerator.DisposeAsync().AsTask());
        }

        if (messages.Count == 0)
        {
            Host.UI.WriteLine($"  (nothing stored for {DisplayText.Escape(Describe(_current))})");
            return;
        }

        foreach (var message in messages)
        {
            Host.UI.WriteLine(Describe(message, message.SentAt));
        }

        Await(_session.Live.Client.MarkReadAsync(_current, messages[^1].MessageId, CancelToken));
    }

    /// <summary>On entry, where messages wait unread; nothing on a server without history.</summary>
    private void ShowUnread()
    {
        if (!_session.Live.Client.Hello.Supports(ServerExtensions.History))
        {
            return;
        }

        try
        {
            var unread = Await(_session.Live.Client.ConversationsAsync(CancelToken)).Where(c => c.Unread > 0).ToList();
            Host.UI.WriteLine(unread.Count == 0
                ? "No unread messages."
                : "Unread: " + string.Join(", ", unread.Select(c => $"{DisplayText.Escape(Describe(c.Conversation))} {c.Unread}")) + " — /to and /history read them.");
        }
        catch (ChatClientException ex)
        {
            Host.UI.WriteErrorLine($"  {DisplayText.Escape(ex.Message)}");
        }
    }

    /// <summary>Prints a line above what the user is typing, then puts the prompt and the typing back.</summary>
    private void PrintAbovePrompt(string line)
    {
        Host.UI.Write("\r" + new string(' ', Prompt.Length + _input.Length) + "\r");
        Host.UI.WriteLine(line);
        Host.UI.Write(Prompt + _input);
    }

    private void Redraw(string input)
    {
        Host.UI.Write("\r" + new string(' ', Prompt.Length + _input.Length) + "\r");
        _input.Clear().Append(input);
        Host.UI.Write(Prompt + _input);
    }

    /// <summary>
    /// One incoming message as lines for the console. Control characters from the sender show as
    /// visible symbols, and a line break in the text starts a continuation indented under the
    /// text: nothing a sender writes can overwrite its own name (CR), start a line that looks like
    /// another sender's or a notice (LF), or act on the terminal (escape sequences).
    /// </summary>
    private string Describe(ChatEvent chatEvent) => Describe(chatEvent, chatEvent.ReceivedAt);

    private string Describe(ChatEvent chatEvent, DateTimeOffset at)
    {
        var time = at.LocalDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var (head, text) = chatEvent switch
        {
            // One's own direct messages appear in /history.
            ChatMessage { Kind: MessageKind.Direct, To: { } to } m when !string.Equals(to, _session.UserName, StringComparison.OrdinalIgnoreCase) => ($"[{time}] {DisplayText.Escape(m.From)} (to {DisplayText.Escape(to)}): ", m.Text),
            ChatMessage { Kind: MessageKind.Direct } m => ($"[{time}] {DisplayText.Escape(m.From)} (to you, {(m.Offline ? "offline, sent " + Sent(m) : m.Route.ToString().ToLowerInvariant())}): ", m.Text),
            ChatMessage { Kind: MessageKind.Room } m => ($"[{time}] #{DisplayText.Escape(m.Room ?? "?")} {DisplayText.Escape(m.From)}: ", m.Text),
            ChatMessage m => ($"[{time}] {DisplayText.Escape(m.From)}: ", m.Text),
            ChatNotice n => ($"[{time}] *** ", n.Message),
            _ => ($"[{time}] ", chatEvent.ToString() ?? string.Empty),
        };
        return head + DisplayText.EscapeLines(text, new string(' ', head.Length));
    }

    private static string Sent(ChatMessage message) => message.SentAt.LocalDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
