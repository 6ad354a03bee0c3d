# Runs in a mount namespace of its own (unshare -m): a tmpfs of a few MiB mounted on $Folder, the
# message store on it, and a ballast file that leaves it almost full. stdin: 'free' deletes the
# ballast, 'stop' (or the end of stdin) stops the server.
param([string] $ModulePath, [string] $Folder, [string] $UserStorePath)
$ErrorActionPreference = 'Stop'
$mounted = & mount -t tmpfs -o size=4m peerchat-disk-full $Folder 2>&1
if ($LASTEXITCODE -ne 0) { "NOMOUNT $mounted"; exit }

Import-Module $ModulePath
$job = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath $UserStorePath `
    -MessageStorePath (Join-Path $Folder 'messages.db') -FloodBytesBurst 64MB -Name "diskfull-$PID"

# Real bytes, not a sparse file: tmpfs counts only the pages written.
$ballast = Join-Path $Folder 'ballast'
$free = [IO.DriveInfo]::new($Folder).AvailableFreeSpace
$stream = [IO.File]::OpenWrite($ballast)
try {
    $chunk = [byte[]]::new(64KB)
    for ($left = $free - 192KB; $left -gt 0; $left -= $chunk.Length) { $stream.Write($chunk, 0, [Math]::Min($chunk.Length, $left)) }
}
finally { $stream.Dispose() }
"READY $($job.Port) FREE $([IO.DriveInfo]::new($Folder).AvailableFreeSpace)"

while (($command = [Console]::In.ReadLine()) -eq 'free') {
    Remove-Item $ballast
    "FREED $([IO.DriveInfo]::new($Folder).AvailableFreeSpace)"
}
$job | Stop-PeerChatServer
"STOPPED"
