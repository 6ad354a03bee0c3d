using System.Management.Automation;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// ErrorRecords with stable ErrorIds. Protocol error codes map to one ErrorId and category each,
/// so scripts can catch <c>InvalidCredentials</c> or <c>ServerFull</c> whatever the message says.
/// </summary>
internal static class PeerChatErrors
{
    public static ErrorRecord From(ChatClientException exception, object? target)
    {
        var (errorId, category) = exception.Code switch
        {
            ErrorCodes.InvalidCredentials => ("InvalidCredentials", ErrorCategory.AuthenticationError),
            ErrorCodes.NotAuthenticated => ("NotAuthenticated", ErrorCategory.AuthenticationError),
            ErrorCodes.Throttled => ("Throttled", ErrorCategory.LimitsExceeded),
            ErrorCodes.RateLimited => ("RateLimited", ErrorCategory.LimitsExceeded),
            ErrorCodes.ServerFull => ("ServerFull", ErrorCategory.ResourceUnavailable),
            ErrorCodes.TooManyConnections => ("TooManyConnections", ErrorCategory.ResourceUnavailable),
            ErrorCodes.TooManySessions => ("TooManySessions", ErrorCategory.ResourceUnavailable),
            ErrorCodes.NoSuchUser => ("UserNotFound", ErrorCategory.ObjectNotFound),
            ErrorCodes.UserExists => ("UserExists", ErrorCategory.ResourceExists),
            ErrorCodes.InvalidUsername => ("InvalidUserName", ErrorCategory.InvalidArgument),
            ErrorCodes.InvalidPassword => ("InvalidPassword", ErrorCategory.InvalidArgument),
            ErrorCodes.SignupDisabled => ("SignupDisabled", ErrorCategory.PermissionDenied),
            ErrorCodes.AuthTimeout => ("AuthTimeout", ErrorCategory.OperationTimeout),
            ErrorCodes.Timeout => ("Timeout", ErrorCategory.OperationTimeout),
            ErrorCodes.PeerUnavailable => ("PeerUnreachable", ErrorCategory.ConnectionError),
            ErrorCodes.InvalidToken => ("InvalidToken", ErrorCategory.SecurityError),
            ErrorCodes.Unreachable => ("ServerUnreachable", ErrorCategory.ConnectionError),
            ErrorCodes.CertificateRejected => ("CertificateRejected", ErrorCategory.SecurityError),
            ErrorCodes.DirectTlsRequired => ("DirectTlsRequired", ErrorCategory.SecurityError),
            ErrorCodes.TlsRequired => ("TlsRequired", ErrorCategory.ProtocolError),
            ErrorCodes.TlsUnavailable => ("TlsUnavailable", ErrorCategory.ProtocolError),
            ErrorCodes.ConnectionClosed => ("ConnectionClosed", ErrorCategory.ConnectionError),
            ErrorCodes.NotInRoom => ("NotInRoom", ErrorCategory.InvalidOperation),
            ErrorCodes.NoSuchRoom => ("NoSuchRoom", ErrorCategory.ObjectNotFound),
            ErrorCodes.TooManyRooms => ("TooManyRooms", ErrorCategory.LimitsExceeded),
            ErrorCodes.NoSuchMessage => ("NoSuchMessage", ErrorCategory.ObjectNotFound),
            ErrorCodes.UserOffline => ("UserOffline", ErrorCategory.ResourceUnavailable),
            ErrorCodes.StoreUnavailable => ("StoreUnavailable", ErrorCategory.ResourceUnavailable),
            ErrorCodes.StoreDisabled => ("MessageStoreDisabled", ErrorCategory.NotEnabled),
            ErrorCodes.InvalidRoom => ("InvalidRoomName", ErrorCategory.InvalidArgument),
            NoticeCodes.IdleTimeout => ("IdleTimeout", ErrorCategory.ConnectionError),
            NoticeCodes.SessionReplaced => ("SessionReplaced", ErrorCategory.ConnectionError),
            NoticeCodes.ServerShutdown => ("ServerShutdown", ErrorCategory.ConnectionError),
            NoticeCodes.SlowConsumer => ("SlowConsumer", ErrorCategory.ConnectionError),
            ErrorCodes.BadFrame or ErrorCodes.UnknownType or ErrorCodes.FrameTooLarge or ErrorCodes.TooManyErrors
                or ErrorCodes.ProtocolViolation => ("ProtocolError", ErrorCategory.ProtocolError),
            _ => ("PeerChatError", ErrorCategory.NotSpecified),
        };
        var record = new ErrorRecord(exception, errorId, category, target);
        // The message may carry a server's or a peer's text: shown escaped, kept raw in the exception.
        var shown = Core.Text.DisplayText.Escape(exception.Message);
        if (!ReferenceEquals(shown, exception.Message))
        {
            record.ErrorDetails = new ErrorDetails(shown);
        }

        return record;
    }

    public static ErrorRecord NotConnected() => new(
        new InvalidOperationException("There is no open PeerChat session. Connect first with Connect-PeerChat, or pass -Session."),
        "NotConnected",
        ErrorCategory.InvalidOperation,
        null);

    public static ErrorRecord SessionClosed(PeerChatSession session) => new(
        new InvalidOperationException($"PeerChat session {session.Id} ({session}) is closed: {Core.Text.DisplayText.Escape(session.CloseReason ?? "disconnected")}. Connect again with Connect-PeerChat."),
        "NotConnected",
        ErrorCategory.InvalidOperation,
        session);

    /// <summary>A session made with -Reconnect between connections: not an end, so not NotConnected.</summary>
    public static ErrorRecord SessionReconnecting(PeerChatSession session) => new(
        new InvalidOperationException($"PeerChat session {session.Id} ({session}) lost its connection ({Core.Text.DisplayText.Escape(session.LastDisconnectReason ?? "disconnected")}) and is reconnecting. Try again once its State is Open (the PeerChat.Reconnected event tells when)."),
        "SessionReconnecting",
        ErrorCategory.ConnectionError,
        session);

    /// <summary>A message that arrived but cannot be turned into a <see cref="PeerChatMessage"/>; the others are delivered.</summary>
    public static ErrorRecord UnreadableMessage(Exception exception, ChatEvent chatEvent) => new(
        new InvalidDataException($"A message{(chatEvent is ChatMessage m ? $" from {m.From} ({m.MessageId})" : string.Empty)} could not be read and was left out: {exception.Message}", exception),
        "UnreadableMessage",
        ErrorCategory.InvalidData,
        chatEvent);

    /// <summary>A room name the rule refuses (1-32 of A-Z a-z 0-9 . _ -), caught before asking the server.</summary>
    public static ErrorRecord InvalidRoomName(string room) => new(
        new ArgumentException($"'{Core.Text.DisplayText.Escape(room)}' is not a room name: 1 to 32 of the letters A-Z and a-z, digits, '.', '_' and '-'."),
        "InvalidRoomName",
        ErrorCategory.InvalidArgument,
        room);

    public static ErrorRecord InvalidData(ArgumentException exception, object? target) =>
        new(exception, "InvalidData", ErrorCategory.InvalidArgument, target);
}
