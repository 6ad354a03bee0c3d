using System.Collections;
using System.Management.Automation;
using System.Text.Json;
using PeerChat.Core.Client;
using PeerChat.Core.Text;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Sends a message to every other client online, or with -Room to the members of a room; each
/// pipeline input is one broadcast. Rooms bind by property name, so Get-PeerChatRoom -Joined can be piped in.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "PeerChatBroadcast", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PeerChatSendReceipt))]
public sealed class SendPeerChatBroadcastCommand : PeerChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    [Alias("Text")]
    public string Message { get; set; } = string.Empty;

    /// <summary>Structured values delivered with the message, nested hashtables and arrays included.</summary>
    [Parameter]
    public Hashtable? Data { get; set; }

    /// <summary>To the members of this room rather than to everyone (null or empty: everyone).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? Room { get; set; }

    /// <summary>The session to send from; also from the pipeline (<c>$session | Send-PeerChatBroadcast 'hi'</c>), or by property name from a piped room.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public PeerChatSession? Session { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private JsonElement? _data;

    protected override void BeginProcessing() => _data = DataConverter.ToJsonOrStop(this, Data);

    protected override void ProcessRecord()
    {
        var session = ResolveSession(Session);
        var room = string.IsNullOrEmpty(Room) ? null : Room;
        if (room is not null && !Core.Accounts.PasswordRules.IsValidUserName(room))
        {
            WriteError(PeerChatErrors.InvalidRoomName(room));
            return;
        }

        if (!ShouldProcess(room is null ? $"everyone on {session.ComputerName}:{session.Port}" : $"room {room} on {session.ComputerName}:{session.Port}", "Broadcast"))
        {
            return;
        }

        try
        {
            var receipt = Await(room is null
                ? session.Live.Client.BroadcastAsync(Message, _data, CancelToken)
                : session.Live.Client.BroadcastAsync(room, Message, _data, CancelToken));
            WriteVerbose(DisplayText.Escape($"Broadcast {receipt.MessageId}{(room is null ? string.Empty : " to " + room)} reached {receipt.Recipients} clients."));
            if (PassThru)
            {
                WriteObject(new PeerChatSendReceipt(receipt, room is null ? PeerChatMessageKind.Broadcast : PeerChatMessageKind.Room, null, room));
            }
        }
        catch (ChatClientException ex)
        {
            WriteChatError(ex, session, Message);
        }
    }
}
