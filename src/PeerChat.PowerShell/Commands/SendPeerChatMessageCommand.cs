using System.Collections;
using System.Management.Automation;
using System.Text.Json;
using PeerChat.Core.Client;
using PeerChat.Core.Text;
using PeerChat.PowerShell.Completers;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Sends a message to one or more users. <c>-UserName</c> binds by property name, so clients from
/// Get-PeerChatClient can be piped in; an unknown user is a non-terminating error and the others
/// still get theirs. By default a message goes straight to the peer, with the server's relay as
/// the fallback.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "PeerChatMessage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PeerChatSendReceipt))]
public sealed class SendPeerChatMessageCommand : PeerChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("To", "User")]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] UserName { get; set; } = [];

    [Parameter(Mandatory = true, Position = 1)]
    [AllowEmptyString]
    [Alias("Text")]
    public string Message { get; set; } = string.Empty;

    [Parameter]
    public Hashtable? Data { get; set; }

    /// <summary>Auto (direct, falling back to relay), Direct (PeerUnreachable when the peer cannot be reached) or Relay.</summary>
    [Parameter]
    public RoutePreference Route { get; set; } = RoutePreference.Auto;

    /// <summary>Also from the pipeline by property name: clients listed by a session are sent to from that session.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public PeerChatSession? Session { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private const int ProgressActivityId = 0x5044;

    private JsonElement? _data;
    private int _sent;
    private int _recipients;
    private ProgressRecord? _progress;

    protected override void BeginProcessing() => _data = DataConverter.ToJsonOrStop(this, Data);

    protected override void ProcessRecord()
    {
        var session = ResolveSession(Session);
        foreach (var to in UserName)
        {
            if (!ShouldProcess(to, "Send PeerChat message"))
            {
                continue;
            }

            ReportProgress(to);
            try
            {
                var receipt = Await(session.Live.Client.SendAsync(to, Message, _data, Route, CancelToken));
                _sent++;
                WriteVerbose(DisplayText.Escape(receipt.Queued ? $"Message {receipt.MessageId} to '{to}' is queued: '{to}' is offline and gets it at the next login." : $"Message {receipt.MessageId} to '{to}' went by {receipt.Route}."));
                if (PassThru)
                {
                    WriteObject(new PeerChatSendReceipt(receipt, PeerChatMessageKind.Direct, to));
                }
            }
            catch (ChatClientException ex)
            {
                WriteChatError(ex, session, to);
            }
        }
    }

    protected override void EndProcessing()
    {
        if (_progress is not null)
        {
            _progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(_progress);
        }
    }

    /// <summary>
    /// Many recipients from the pipeline take a while: say who is next and how many are done. A
    /// single message is over before a progress bar could show, so progress starts at the second
    /// recipient; a script calling the cmdlet once per message pays nothing for it.
    /// </summary>
    private void ReportProgress(string to)
    {
        if (++_recipients < 2)
        {
            return;
        }

        _progress ??= new ProgressRecord(ProgressActivityId, "Sending PeerChat messages", "Starting");
        _progress.StatusDescription = $"{_sent} sent";
        _progress.CurrentOperation = $"To {to}";
        WriteProgress(_progress);
    }
}
