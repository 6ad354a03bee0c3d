# Dot-sourced by the helpers of tests that drive a client in another language (IrcTestHelpers.ps1,
# WebSocketClientHelpers.ps1): a child process that takes commands as JSON lines on stdin and
# reports events as JSON lines on stdout.

$script:ChildClients = [Collections.Generic.List[object]]::new()

function Start-ChildClient {
    # Starts -FilePath with -Arguments; returns a handle for the other functions. -Name says which
    # client a failed wait is about; -Properties are added to the handle (e.g. the IRC nick).
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [Parameter(Mandatory)] [object[]] $Arguments,
        [Parameter(Mandatory)] [string] $Name,
        [hashtable] $Properties = @{}
    )
    $start = [Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $Arguments) { $start.ArgumentList.Add([string]$argument) }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($start)
    $client = [pscustomobject]@{
        Name    = $Name
        Process = $process
        # Events read but not yet taken by Wait-ChildClientEvent, oldest first.
        Backlog = [Collections.Generic.List[object]]::new()
        # Every event read, for the message of a failed wait.
        Seen    = [Collections.Generic.List[string]]::new()
        Reading = $process.StandardOutput.ReadLineAsync()
        Ended   = $false
        Stderr  = $process.StandardError.ReadToEndAsync()
    }
    foreach ($property in $Properties.GetEnumerator()) {
        $client | Add-Member -NotePropertyName $property.Key -NotePropertyValue $property.Value
    }
    $script:ChildClients.Add($client)
    $client
}

function Send-ChildClientCommand {
    param([Parameter(Mandatory)] $Client, [Parameter(Mandatory)] [hashtable] $Command)
    $Client.Process.StandardInput.WriteLine(($Command | ConvertTo-Json -Compress))
    $Client.Process.StandardInput.Flush()
}

function Wait-ChildClientEvent {
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
    throw "$($Client.Name): $why waiting until $Because. It reported:`n$($Client.Seen -join "`n")$stderr"
}

function Stop-ChildClient {
    # Closing its stdin makes the client close its connection and end; it is killed if it has not
    # ended in 10 s.
    param([Parameter(Mandatory)] $Client)
    if (-not $Client.Process.HasExited) {
        try { $Client.Process.StandardInput.Close() } catch { $null = $_ }
        if (-not $Client.Process.WaitForExit(10000)) { $Client.Process.Kill($true) }
    }
    $Client.Process.Dispose()
    $null = $script:ChildClients.Remove($Client)
}

function Remove-ChildClients {
    foreach ($client in @($script:ChildClients)) { Stop-ChildClient $client }
}
