using System.Collections;
using System.Management.Automation;
using System.Text.Json;
using PeerChat.Core.Client;
using PeerChat.Core.Text;

namespace PeerChat.PowerShell.Commands;

/// <summary>Sends a message to every other client online; each pipeline input is one broadcast.</summary>
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

    /// <summary>The session to send from; also from the pipeline (<c>$session | Send-PeerChatBroadcast 'hi'</c>).</summary>
    [Parameter(ValueFromPipeline = true)]
    public PeerChatSession? Session { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private JsonElement? _data;

    protected override void BeginProcessing() => _data = DataConverter.ToJsonOrStop(this, Data);

    protected override void ProcessRecord()
    {
        var session = ResolveSession(Session);
        if (!ShouldProcess($"everyone on {session.ComputerName}:{session.Port}", "Broadcast"))
        {
            return;
        }

        try
        {
            var receipt = Await(session.Client.BroadcastAsync(Message, _data, CancelToken));
            WriteVerbose(DisplayText.Escape($"Broadcast {receipt.MessageId} reached {receipt.Recipients} clients."));
            if (PassThru)
            {
                WriteObject(new PeerChatSendReceipt(receipt, PeerChatMessageKind.Broadcast, null));
            }
        }
        catch (ChatClientException ex)
        {
            WriteChatError(ex, session, Message);
        }
    }
}
