# TLS from the cmdlets: a server with a certificate (made at start, or from PFX and PEM files),
# pinned sessions, clear failures, and direct messages under TLS.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Connect-TlsUser {
        param([string] $UserName, $Server, [string] $Thumbprint = $Server.CertificateThumbprint)
        Connect-PeerChat -ComputerName 127.0.0.1 -Port $Server.Port -Credential (New-TestCredential $UserName) -SignUp -UseTls -ServerCertificateThumbprint $Thumbprint -ErrorAction Stop
    }
}

Describe 'TLS' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer -Settings @{ SelfSignedCertificate = $true }
    }

    AfterAll {
        Remove-TestServers
    }

    It 'shows the certificate''s SHA-256 fingerprint on the job' {
        $server.UsesTls | Should -BeTrue
        $server.CertificateThumbprint | Should -Match '^[0-9A-F]{64}$'
    }

    It 'logs in a pinned session and exchanges messages, direct ones over TLS to the pinned peer' {
        $alice = Connect-TlsUser 'alice' $server
        $bob = Connect-TlsUser 'bob' $server

        Send-PeerChatBroadcast -Session $alice -Message 'hello over tls'
        $receipt = Send-PeerChatMessage -Session $alice -UserName 'bob' -Message 'direct over tls' -Route Direct -PassThru
        $received = Receive-PeerChatMessage -Session $bob -Wait -Count 2 -Timeout $TestTimeout

        $received.Text | Should -Be @('hello over tls', 'direct over tls')
        $receipt.Route | Should -Be 'Direct'
        $received[1].Route | Should -Be 'Direct'
    }

    It 'never sends a direct message in clear text to a peer that announced no fingerprint: Direct fails with DirectTlsRequired, Auto relays' {
        # "tbob" logs in over TLS, raw, announcing a plain listener and no fingerprint.
        $plain = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
        $plain.Start()
        $tcp = [System.Net.Sockets.TcpClient]::new()
        $tcp.Connect([ipaddress]::Loopback, $server.Port)
        $tls = [System.Net.Security.SslStream]::new($tcp.GetStream(), $false, { $true })
        $tls.AuthenticateAsClient('localhost')
        $tls.ReadTimeout = $TestTimeout.TotalMilliseconds
        $reader = [System.IO.StreamReader]::new($tls, [System.Text.UTF8Encoding]::new($false))
        $say = { param($frame) $bytes = [System.Text.Encoding]::UTF8.GetBytes(($frame | ConvertTo-Json -Compress) + "`n"); $tls.Write($bytes, 0, $bytes.Length); $tls.Flush() }
        $readUntil = { param($type) for ($i = 0; $i -lt 20; $i++) { $f = $reader.ReadLine() | ConvertFrom-Json; if ($f.type -eq $type) { return $f } }; throw "no $type" }
        try {
            $null = & $readUntil 'hello'
            & $say @{ type = 'signup'; id = 1; user = 'tbob'; password = $script:TestPassword }
            $null = & $readUntil 'ok'
            & $say @{ type = 'login'; id = 2; user = 'tbob'; password = $script:TestPassword; peer = @{ port = $plain.LocalEndpoint.Port } }
            $null = & $readUntil 'welcome'
            $alice = Connect-TlsUser 'talice' $server

            Send-PeerChatMessage -Session $alice -UserName 'tbob' -Message 'secret' -Route Direct -ErrorVariable failed -ErrorAction SilentlyContinue
            $receipt = Send-PeerChatMessage -Session $alice -UserName 'tbob' -Message 'secret, via the server' -PassThru
            $relayed = & $readUntil 'message'

            @($failed).Count | Should -Be 1
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'DirectTlsRequired,*'
            $failed[0].CategoryInfo.Category | Should -Be 'SecurityError'
            $receipt.Route | Should -Be 'Relay'
            $relayed.text | Should -Be 'secret, via the server'
            $plain.Pending() | Should -BeFalse -Because 'nobody may even connect to the plain listener'
        }
        finally {
            $tls.Dispose(); $tcp.Dispose(); $plain.Stop()
        }
    }

    It 'refuses a wrong fingerprint with CertificateRejected' {
        $other = '00' * 32
        { Connect-TlsUser 'mallory' $server -Thumbprint $other } |
            Should -Throw -ErrorId 'CertificateRejected,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
    }

    It 'fails fast and clearly for a plain client against a TLS server, and a TLS client against a plain server' {
        $plainServer = Start-TestServer

        { Connect-TestUser -UserName 'plain' -Port $server.Port } |
            Should -Throw -ErrorId 'TlsRequired,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
        { Connect-PeerChat -ComputerName 127.0.0.1 -Port $plainServer.Port -Credential (New-TestCredential 'x') -SkipCertificateCheck -WarningAction SilentlyContinue -ErrorAction Stop } |
            Should -Throw -ErrorId 'TlsUnavailable,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
    }

    It 'always warns about -SkipCertificateCheck' {
        $null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'trusting') -SignUp -SkipCertificateCheck -WarningVariable warnings -WarningAction SilentlyContinue

        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match 'any certificate'
    }
}

Describe 'TLS certificates from files' -Tag Integration {
    BeforeAll {
        $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=peerchat-file-test', $key, 'SHA256')
        $certificate = $request.CreateSelfSigned([datetimeoffset]::UtcNow.AddMinutes(-5), [datetimeoffset]::UtcNow.AddDays(1))
        $thumbprint = [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($certificate.RawData))
        $password = ConvertTo-SecureString 'pfx password' -AsPlainText -Force
        $pfx = Join-Path $TestDrive 'server.pfx'
        [IO.File]::WriteAllBytes($pfx, $certificate.Export('Pfx', 'pfx password'))
        $pem = Join-Path $TestDrive 'server.pem'
        Set-Content $pem ($certificate.ExportCertificatePem() + "`n" + $key.ExportPkcs8PrivateKeyPem())
    }

    AfterAll {
        Remove-TestServers
    }

    It 'serves TLS with a PFX file and its password' {
        $server = Start-TestServer -Settings @{ CertificatePath = $pfx; CertificatePassword = $password }

        $server.CertificateThumbprint | Should -Be $thumbprint
        (Connect-TlsUser 'pfx-user' $server -Thumbprint $thumbprint).State | Should -Be 'Open'
    }

    It 'serves TLS with a PEM file holding the certificate and its key' {
        $server = Start-TestServer -Settings @{ CertificatePath = $pem }

        (Connect-TlsUser 'pem-user' $server -Thumbprint $thumbprint).State | Should -Be 'Open'
    }

    It 'says CertificateUnreadable for a wrong password, and refuses two certificate sources at once' {
        $wrong = ConvertTo-SecureString 'not it' -AsPlainText -Force
        { Start-TestServer -Settings @{ CertificatePath = $pfx; CertificatePassword = $wrong } } |
            Should -Throw -ErrorId 'CertificateUnreadable,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
        { Start-TestServer -Settings @{ CertificatePath = $pem; SelfSignedCertificate = $true } } |
            Should -Throw -ErrorId 'ConflictingCertificateParameters,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
    }
}
