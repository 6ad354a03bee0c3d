#!/usr/bin/python3
"""A WebSocket client of PeerChat's /ws endpoint built on `websockets` (Debian's python3-websockets).

Run by Debian's own python3, as a script in another language than the server's would be. Two modes:

session (the default): connects to --url with --subprotocol peerchat.v1 (one peerchat/1 JSON frame
per text message) or text.ircv3.net (one IRC line per text message), logs in as --user, then obeys
commands, one JSON object a line on stdin, and reports what happens, one JSON object a line on stdout:

  in:  {"op": "broadcast", "text": "..."}  {"op": "send", "to": "bob", "text": "..."}
       (over IRC: a broadcast is PRIVMSG #everyone, a send PRIVMSG <nick>)
       {"op": "raw", "text": "..."}  (one text message as it is)  {"op": "stats"}  {"op": "quit"}
  out: {"event": "open", "subprotocol": ...}  {"event": "welcome", "user": ...} (peerchat.v1)
       {"event": "registered", "nick": ...} (IRC 001)  {"event": "refused", "text": ...}
       {"event": "message", "kind": "broadcast"|"direct"|"room"|"pubmsg"|"privmsg", "from": ...,
        "target": ..., "text": ...}  {"event": "frame", "frame": {...}} (other peerchat.v1 frames)
       {"event": "stats", "messages": N, "violations": [...]}  {"event": "closed", "code": ..., "reason": ...}
       {"event": "violation", "why": ..., "message": ...} (a message that breaks the framing, not read further)

  Every text message is checked against the subprotocol's framing: no line ends in it (no "\\n",
  no CRLF), and a peerchat.v1 message is exactly one JSON object; "stats" lists what broke it.

probe: hostile upgrades and messages, each reported as {"event": "probe", "name": ..., ...}, then exit:
  bad-version (Sec-WebSocket-Version: 12), bad-key, too-many-headers, huge-headers (raw HTTP: the
  status and the Sec-WebSocket-Version answered), wrong-origin (--bad-origin; the status), and
  oversized (logged in as --user, one message of --max-frame-bytes + 1 bytes: the close code).

Each mode ends by itself after --lifetime seconds, when stdin closes or the server closes, so it can
never outlive its test; every network wait has its own timeout.
"""

import argparse
import asyncio
import base64
import json
import os
import sys
import urllib.parse

import websockets
import websockets.exceptions

# Debian's python3-websockets 10.4: connect() is the asyncio client (websockets.client.connect).
IRC_CHANNEL_EVERYONE = "#everyone"
WAIT = 15.0


def report(event, **fields):
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="ws://127.0.0.1:<port>/ws")
    parser.add_argument("--mode", choices=["session", "probe"], default="session")
    parser.add_argument("--subprotocol", choices=["peerchat.v1", "text.ircv3.net", "none"], default="peerchat.v1")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--origin", default=None)
    parser.add_argument("--bad-origin", default="http://evil.example")
    parser.add_argument("--max-frame-bytes", type=int, default=65536)
    parser.add_argument("--lifetime", type=float, default=120.0)
    return parser.parse_args()


def framing_violation(subprotocol, message):
    """Why a text message breaks the subprotocol's framing, or None."""
    if isinstance(message, bytes):
        return "a binary message"
    if "\n" in message or "\r" in message:
        return "a line end inside the message"
    if subprotocol == "peerchat.v1":
        try:
            frame = json.loads(message)
        except ValueError:
            return "not one JSON value"
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return "not a frame (an object with a string type)"
    return None


def parse_irc(line):
    """(source nick, command, parameters) of an IRC line, tags dropped."""
    if line.startswith("@"):
        line = line.split(" ", 1)[1] if " " in line else ""
    source = None
    if line.startswith(":"):
        source, _, line = line[1:].partition(" ")
        source = source.split("!", 1)[0]
    middle, colon, trailing = line.partition(" :")
    words = middle.split()
    command = words[0] if words else ""
    parameters = words[1:] + ([trailing] if colon else [])
    return source, command, parameters


class Session:
    def __init__(self, options):
        self.options = options
        self.subprotocol = None if options.subprotocol == "none" else options.subprotocol
        self.messages = 0
        self.violations = []
        self.next_id = 1

    def request_id(self):
        self.next_id += 1
        return self.next_id

    async def run(self):
        options = self.options
        kwargs = {"subprotocols": [self.subprotocol]} if self.subprotocol else {}
        async with websockets.connect(options.url, origin=options.origin, open_timeout=WAIT,
                                      close_timeout=5, **kwargs) as socket:
            self.socket = socket
            # Without one asked for, the server speaks peerchat.v1 (and names none).
            self.speaks = socket.subprotocol or "peerchat.v1"
            report("open", subprotocol=socket.subprotocol)
            await self.log_in()
            reader = asyncio.ensure_future(self.read())
            commands = asyncio.ensure_future(self.obey_stdin())
            done, pending = await asyncio.wait([reader, commands], timeout=options.lifetime,
                                               return_when=asyncio.FIRST_COMPLETED)
            if not done:
                report("lifetime_over")
            if commands in done and reader not in done:
                # stdin closed or "quit": leave cleanly, but no later than a few seconds.
                if self.speaks == "text.ircv3.net":
                    await socket.send("QUIT :test ended")
                await socket.close()
                await asyncio.wait([reader], timeout=5)
            for task in (reader, commands):
                task.cancel()

    async def log_in(self):
        options = self.options
        if self.speaks == "text.ircv3.net":
            await self.socket.send(f"PASS :{options.password}")
            await self.socket.send(f"NICK {options.user}")
            await self.socket.send(f"USER {options.user} 0 * :{options.user}")
        else:
            await self.socket.send(json.dumps({"type": "login", "id": 1, "user": options.user,
                                               "password": options.password}))

    async def read(self):
        try:
            async for message in self.socket:
                self.messages += 1
                why = framing_violation(self.speaks, message)
                if why:
                    self.violations.append({"why": why, "message": repr(message)[:200]})
                    report("violation", why=why, message=repr(message)[:200])
                    continue
                if self.speaks == "text.ircv3.net":
                    await self.on_irc_line(message)
                else:
                    self.on_frame(json.loads(message))
        except websockets.exceptions.ConnectionClosed:
            pass
        report("closed", code=self.socket.close_code, reason=self.socket.close_reason)

    def on_frame(self, frame):
        kind = frame.get("type")
        if kind == "welcome" and frame.get("re") == 1:
            report("welcome", user=frame.get("user"))
        elif kind == "error" and frame.get("re") == 1:
            report("refused", text=frame.get("code"))
        elif kind == "message":
            target = frame.get("room") or (self.options.user if frame.get("kind") == "direct" else None)
            report("message", kind=frame.get("kind"), target=target,
                   text=frame.get("text"), **{"from": frame.get("from")})
        else:
            report("frame", frame=frame)

    async def on_irc_line(self, line):
        source, command, parameters = parse_irc(line)
        if command == "PING":
            await self.socket.send("PONG" + (" :" + parameters[-1] if parameters else ""))
        elif command == "001":
            report("registered", nick=parameters[0] if parameters else None)
        elif command in ("464", "904", "ERROR"):
            report("refused", text=line)
        elif command == "PRIVMSG" and len(parameters) >= 2:
            kind = "pubmsg" if parameters[0].startswith("#") else "privmsg"
            report("message", kind=kind, target=parameters[0], text=parameters[-1], **{"from": source})

    async def obey_stdin(self):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.strip():
                if await self.obey(json.loads(line)) == "quit":
                    return

    async def obey(self, command):
        op = command.get("op")
        irc = self.speaks == "text.ircv3.net"
        if op == "broadcast":
            text = command["text"]
            await self.socket.send(f"PRIVMSG {IRC_CHANNEL_EVERYONE} :{text}" if irc
                                   else json.dumps({"type": "broadcast", "id": self.request_id(), "text": text}))
        elif op == "send":
            to, text = command["to"], command["text"]
            await self.socket.send(f"PRIVMSG {to} :{text}" if irc
                                   else json.dumps({"type": "send", "id": self.request_id(), "to": to, "text": text}))
        elif op == "raw":
            await self.socket.send(command["text"])
        elif op == "stats":
            report("stats", messages=self.messages, violations=self.violations)
        elif op == "quit":
            return "quit"
        else:
            report("bad_command", command=command)
            return None
        report("done", op=op)
        return None


async def raw_upgrade(url, extra_lines, version="13", key=None):
    """Status code and headers the server answers to a hand-made upgrade request (None: no answer)."""
    parts = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port), WAIT)
    try:
        key = key if key is not None else base64.b64encode(os.urandom(16)).decode("ascii")
        lines = [f"GET {parts.path or '/'} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}",
                 "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 f"Sec-WebSocket-Version: {version}", "Sec-WebSocket-Protocol: peerchat.v1"] + extra_lines
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            await writer.drain()
        except ConnectionError:
            pass  # the server may answer and close before reading everything
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = await asyncio.wait_for(reader.read(4096), WAIT)
                if not chunk:
                    break
                head += chunk
        except ConnectionError:
            pass
        text = head.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        status_line, *header_lines = text.split("\r\n")
        words = status_line.split(" ")
        status = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
        headers = {}
        for header in header_lines:
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers
    finally:
        writer.close()


async def probe(options):
    status, headers = await raw_upgrade(options.url, [], version="12")
    report("probe", name="bad-version", status=status, version=headers.get("sec-websocket-version"))

    status, _ = await raw_upgrade(options.url, [], key="not-a-key")
    report("probe", name="bad-key", status=status)

    status, _ = await raw_upgrade(options.url, [f"X-Filler-{i}: {i}" for i in range(80)])
    report("probe", name="too-many-headers", status=status)

    status, _ = await raw_upgrade(options.url, ["X-Filler: " + "a" * 9000])
    report("probe", name="huge-headers", status=status)

    try:
        async with websockets.connect(options.url, origin=options.bad_origin, subprotocols=["peerchat.v1"],
                                      open_timeout=WAIT, close_timeout=5) as socket:
            report("probe", name="wrong-origin", status=101, subprotocol=socket.subprotocol)
    except websockets.exceptions.InvalidStatusCode as refused:
        report("probe", name="wrong-origin", status=refused.status_code)

    # A logged-in session sends one message a byte longer than MaxFrameBytes: closed with 1009.
    # Uncompressed, so that the bytes on the wire are the message's too.
    async with websockets.connect(options.url, origin=options.origin, subprotocols=["peerchat.v1"],
                                  compression=None, open_timeout=WAIT, close_timeout=5) as socket:
        await socket.send(json.dumps({"type": "login", "id": 1, "user": options.user, "password": options.password}))
        welcomed = False
        while not welcomed:
            frame = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
            welcomed = frame.get("type") == "welcome"
            if frame.get("type") == "error":
                raise RuntimeError(f"the probe's login was refused: {frame}")
        padding = options.max_frame_bytes + 1 - len('{"type":"broadcast","text":""}')
        try:
            await socket.send(json.dumps({"type": "broadcast", "text": "x" * padding}, separators=(",", ":")))
            while True:
                await asyncio.wait_for(socket.recv(), WAIT)
        except websockets.exceptions.ConnectionClosed:
            pass
        except asyncio.TimeoutError:
            report("probe", name="oversized", code=None, reason=f"still open {WAIT} s after the message")
            return
        report("probe", name="oversized", code=socket.close_code, reason=socket.close_reason)


def main():
    options = parse_arguments()

    async def bounded():
        work = probe(options) if options.mode == "probe" else Session(options).run()
        try:
            await asyncio.wait_for(work, options.lifetime)
        except asyncio.TimeoutError:
            report("lifetime_over")
        except (OSError, websockets.exceptions.WebSocketException) as error:
            report("closed", code=None, reason=f"{type(error).__name__}: {error}")
            return 1
        return 0

    return asyncio.run(bounded())


if __name__ == "__main__":
    sys.exit(main())
