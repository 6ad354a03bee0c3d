# Dot-sourced by the IRC test files after TestHelpers.ps1: the Python IRC client of tests/irc
# (Debian's python3 with its python3-irc) run as a child process, spoken to in JSON lines.

. $PSScriptRoot/ChildClientHelpers.ps1

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
    # The Python client logged in (or trying to) as -Nick; returns a handle for ChildClientHelpers.ps1's functions.
    param(
        [Parameter(Mandatory)] [int] $Port,
        [Parameter(Mandatory)] [string] $Nick,
        [string] $Password = $script:IrcPassword,
        [ValidateSet('pass', 'userpass', 'sasl')] [string] $Login = 'pass'
    )
    $arguments = $script:IrcClientScript, '--port', $Port, '--nick', $Nick, '--password', $Password, '--login', $Login, '--lifetime', 300
    Start-ChildClient -FilePath $script:IrcPython -Arguments $arguments -Name "IRC client $Nick" -Properties @{ Nick = $Nick }
}
