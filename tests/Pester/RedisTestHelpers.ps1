# Dot-sourced by the cluster tests after TestHelpers.ps1: a redis-server of the test's own (the Debian
# package redis-server), on 127.0.0.1 and a free port, its files in a temp folder, as docs/CLUSTER.md
# says the cluster's Redis runs (appendonly yes, appendfsync always).

function Get-MissingRedis {
    # '' when redis-server is there; else the reason to skip. Under CI (.ci/run installs it) it fails instead.
    if (Get-Command redis-server -ErrorAction SilentlyContinue) { return '' }
    $reason = 'the Debian package redis-server is not installed (.ci/run installs it)'
    if ($env:CI) { throw "Under CI redis-server must be there: $reason." }
    $reason
}

function Start-TestRedis {
    # A running redis-server: a handle with Port, Folder and Process. A port taken between finding it
    # free and redis-server binding it is retried on another. -Again restarts a stopped one on its
    # port and folder, from its append-only file.
    param([string] $Password, $Again)
    $folder = if ($Again) { $Again.Folder } else { Join-Path ([IO.Path]::GetTempPath()) "peerchat-redis-$(Get-Random)" }
    if (-not $Again) { New-Item -ItemType Directory $folder | Out-Null }
    for ($attempt = 0; $attempt -lt 5; $attempt++) {
        if ($Again) { $port = $Again.Port }
        else {
            $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        }
        $log = Join-Path $folder "redis-$port-$(Get-Random).log"
        $start = [Diagnostics.ProcessStartInfo]::new((Get-Command redis-server).Source)
        foreach ($argument in '--port', $port, '--bind', '127.0.0.1', '--dir', $folder, '--daemonize', 'no', '--appendonly', 'yes',
            '--appendfsync', 'always', '--save', '', '--logfile', $log) { $start.ArgumentList.Add([string]$argument) }
        if ($Password) { $start.ArgumentList.Add('--requirepass'); $start.ArgumentList.Add($Password) }
        $process = [Diagnostics.Process]::Start($start)
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ([DateTime]::UtcNow -lt $deadline -and -not $process.HasExited) {
            if ((Test-Path $log) -and (Select-String -Path $log -SimpleMatch 'Ready to accept connections' -Quiet)) {
                return [pscustomobject]@{ Port = $port; Folder = $folder; Process = $process }
            }
            $null = $process.WaitForExit(50)
        }
        if (-not $process.HasExited) { $process.Kill() }
        $text = if (Test-Path $log) { Get-Content -Raw $log } else { '' }
        if ($Again -or $text -notmatch 'Address already in use') { throw "redis-server did not start: $text" }
    }
    throw 'redis-server found no free port in 5 attempts.'
}

function Stop-TestRedisProcess($Redis) {
    # Kills redis-server (SIGKILL) and keeps its folder, for Start-TestRedis -Again.
    $Redis.Process.Kill()
    if (-not $Redis.Process.WaitForExit(20000)) { throw 'redis-server did not end within 20 s of SIGKILL.' }
}

function Stop-TestRedis($Redis) {
    if (-not $Redis) { return }
    if (-not $Redis.Process.HasExited) { $Redis.Process.Kill() }
    $null = $Redis.Process.WaitForExit(20000)
    Remove-Item -Recurse -Force $Redis.Folder -ErrorAction SilentlyContinue
}
