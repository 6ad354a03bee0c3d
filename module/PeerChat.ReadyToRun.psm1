# Nested in the shipped PeerChat.psd1, so that it runs before PowerShell reads the module's types
# (which binds PeerChat.PowerShell.dll's reference to PeerChat.Core): it loads the PeerChat.Core
# compiled ahead of time (ReadyToRun) for this platform from runtimes/<rid>/lib, and the reference
# then binds to it, so that neither Import-Module nor a first server or session waits for the JIT.
# Code compiled for one platform does not load on another (BadImageFormatException), so the
# portable copy beside PeerChat.PowerShell.dll stays: PowerShell loads it where there is no match,
# or when a PeerChat.Core is already loaded (a second Import-Module).
$os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
$architecture = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()
$compiled = [System.IO.Path]::Combine($PSScriptRoot, 'runtimes', "$os-$architecture", 'lib', 'PeerChat.Core.dll')
$loaded = [System.AppDomain]::CurrentDomain.GetAssemblies().Where({ $_.GetName().Name -eq 'PeerChat.Core' }, 'First')
if (-not $loaded -and [System.IO.File]::Exists($compiled)) {
    try {
        $null = [System.Runtime.Loader.AssemblyLoadContext]::Default.LoadFromAssemblyPath($compiled)
    }
    catch {
        # The portable copy works everywhere; only the start is slower.
        Write-Verbose "PeerChat: $compiled did not load ($($_.Exception.Message)); the portable PeerChat.Core is used."
    }
}
