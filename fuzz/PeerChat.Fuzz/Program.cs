// AFL++ entry point: `PeerChat.Fuzz <target>` reads one input from stdin (SharpFuzz's AFL mode)
// and runs it through one target. An exception a target does not expect is a crash for AFL.
using PeerChat.Fuzz;
using SharpFuzz;

var target = args.Length > 0 ? args[0] : "frames";
Action<byte[]> run = target switch
{
    "frames" => FuzzTargets.Frames,
    "userstore" => FuzzTargets.UserStore,
    "client" => FuzzTargets.ClientFrames,
    "irc" => IrcFuzzTargets.Lines,
    "http" => HttpFuzzTargets.Requests,
    _ => throw new ArgumentException($"Unknown target '{target}': frames, userstore, client, irc or http."),
};

// `dotnet run --project fuzz/PeerChat.Fuzz -- <target> <file>` replays one input on a plain build, to
// see the exception behind a crash (the instrumented build in out/fuzz/bin only runs under AFL).
if (args.Length > 1)
{
    run(File.ReadAllBytes(args[1]));
    return;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    run(buffer.ToArray());
});
