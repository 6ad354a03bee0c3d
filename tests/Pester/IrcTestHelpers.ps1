# Dot-sourced by the IRC test files after TestHelpers.ps1: the Python IRC client of tests/irc
# (Debian's python3 with its python3-irc) run as a child process, spoken to in JSON lines.

$script:IrcPython = '/usr/bin/python3'
$script:IrcClientScript = Join-Path $PSScriptRoot '../irc/irc_client.py'

# The IRC accounts' password has no space: the irc library sends `PASS <password>` without a colon,
# so the server reads a spaced password as several parameters (irssi and WeeChat, on their command
# lines, would split it too).
$script:IrcPassword = 'irc-client-password'

function Get-MissingIrcTool {
    # What a test of real IRC clients lacks, as the reason to skip it: '' when nothing is missing.
    # Under CI (.ci/run installs every one of them) a missing tool fails the test instead.
    param([ValidateSet('python3-irc', 'tmux', 'irssi', 'weechat')] [string[]] $Tool)
    $missing = foreach ($name in $Tool) {
        $present = switch ($name) {
            'python3-irc' { (Test-Path $script:IrcPython) -and $(& $script:IrcPython -c 'import irc.client' 2>$null; $LASTEXITCODE -eq 0) }
            'weechat' { [bool](Get-Command weechat -ErrorAction SilentlyContinue) }
            default { [bool](Get-Command $name -ErrorAction SilentlyContinue) }
        }
        # weechat (the terminal interface) is in the Debian package weechat-curses.
        if (-not $present) { if ($name -eq 'weechat') { 'weechat-curses' } else { $name } }
    }
    if (-not $missing) { return '' }
    $reason = "the Debian package(s) $($missing -join ', ') not installed (.ci/run installs them)"
    if ($env:CI) { throw "Under CI every IRC test tool must be there: $reason." }
    $reason
}

function Start-IrcClient {
    # The Python client logged in (or trying to) as -Nick; returns a handle for the other functions.
    param(
        [Parameter(Mandatory)] [int] $Port,
        [Parameter(Mandatory)] [string] $Nick,
        [string] $Password = $script:IrcPassword,
        [ValidateSet('pass', 'userpass', 'sasl')] [string] $Login = 'pass'
    )
    $start = [Diagnostics.ProcessStartInfo]::new($script:IrcPython)
    foreach ($argument in $script:IrcClientScript, '--port', $Port, '--nick', $Nick, '--password', $Password, '--login', $Login, '--lifetime', 300) {
        $start.ArgumentList.Add([string]$argument)
    }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($start)
    $client = [pscustomobject]@{
        Nick    = $Nick
        Process = $process
        # Events read but not yet taken by Wait-IrcEvent, oldest first.
        Backlog = [Collections.Generic.List[object]]::new()
        # Every event read, for the message of a failed wait.
        Seen    = [Collections.Generic.List[string]]::new()
        Reading = $process.StandardOutput.ReadLineAsync()
        Ended   = $false
        Stderr  = $process.StandardError.ReadToEndAsync()
    }
    $script:IrcClients.Add($client)
    $client
}

$script:IrcClients = [Collections.Generic.List[object]]::new()

function Send-IrcCommand {
    param([Parameter(Mandatory)] $Client, [Parameter(Mandatory)] [hashtable] $Command)
    $Client.Process.StandardInput.WriteLine(($Command | ConvertTo-Json -Compress))
    $Client.Process.StandardInput.Flush()
}

function Wait-IrcEvent {
    # The first event (oldest first, each taken once) for which -Where is true, waiting at most
    # -Timeout for it; throws with everything the client reported when none comes.
    param(
        [Parameter(Mandatory)] $Client,
        [Parameter(Mandatory)] [scriptblock] $Where,
        [Parameter(Mandatory)] [string] $Because,
        [timespan] $Timeout = $script:TestTimeout
    )
    $deadline = [datetime]::UtcNow + $Timeout
    while ($true) {
        for ($i = 0; $i -lt $Client.Backlog.Count; $i++) {
            $candidate = $Client.Backlog[$i]
            if (($candidate | ForEach-Object $Where) -eq $true) {
                $Client.Backlog.RemoveAt($i)
                return $candidate
            }
        }
        $left = $deadline - [datetime]::UtcNow
        if ($Client.Ended -or $left -le [timespan]::Zero) { break }
        if (-not $Client.Reading.Wait($left)) { break }
        $line = $Client.Reading.Result
        if ($null -eq $line) { $Client.Ended = $true; continue }
        $Client.Seen.Add($line)
        $Client.Backlog.Add(($line | ConvertFrom-Json))
        $Client.Reading = $Client.Process.StandardOutput.ReadLineAsync()
    }
    $why = if ($Client.Ended) { 'the client ended' } else { "timed out after $Timeout" }
    $stderr = if ($Client.Ended -and $Client.Stderr.Wait(2000)) { "`nstderr: $($Client.Stderr.Result)" } else { '' }
    throw "IRC client $($Client.Nick): $why waiting until $Because. It reported:`n$($Client.Seen -join "`n")$stderr"
}

function Stop-IrcClient {
    # Closing its stdin makes the client QUIT and end; it is killed if it has not ended in 10 s.
    param([Parameter(Mandatory)] $Client)
    if (-not $Client.Process.HasExited) {
        try { $Client.Process.StandardInput.Close() } catch { $null = $_ }
        if (-not $Client.Process.WaitForExit(10000)) { $Client.Process.Kill($true) }
    }
    $Client.Process.Dispose()
    $null = $script:IrcClients.Remove($Client)
}

function Remove-IrcClients {
    foreach ($client in @($script:IrcClients)) { Stop-IrcClient $client }
}
