#!/usr/bin/python3
"""An IRC client built on the `irc` library (Debian's python3-irc), driven by a test.

Run by Debian's own python3, as a user of that library would. It logs in one of three ways
(--login pass: `PASS <password>` with the nick as the account; userpass: `PASS <user>:<password>`;
sasl: CAP LS 302, CAP REQ :sasl, AUTHENTICATE PLAIN), then obeys commands, one JSON object a line
on stdin, and reports what happens, one JSON object a line on stdout:

  in:  {"op": "privmsg", "target": "#room", "text": "..."}   also "notice"
       {"op": "join", "channel": "#room"}  {"op": "part", "channel": "#room"}
       {"op": "raw", "line": "..."}  {"op": "bytes", "base64": "..."}  {"op": "quit", "text": "..."}
  out: {"event": "registered", "nick": ...}  {"event": "message", "kind": "privmsg"|"pubmsg"|...,
       "from": ..., "target": ..., "text": ...}  {"event": "join"|"part"|"quit", "nick": ..., ...}
       {"event": "numeric", "code": "464", "args": [...]}  {"event": "error", "text": ...}
       {"event": "closed", "reason": ...}  {"event": "sasl", "state": ...}

The test reads the lines with a deadline on each wait. The script ends on `quit`, when stdin
closes, when the server closes, or after --lifetime seconds, so it can never outlive its test.
"""

import argparse
import base64
import json
import os
import select
import sys
import time

import irc.client
import irc.connection

# A server may send bytes that are not UTF-8 (a hostile peer's text): show them, do not crash.
irc.client.ServerConnection.buffer_class.errors = "replace"


def report(event, **fields):
    fields = {"event": event, **fields}
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--nick", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--login", choices=["pass", "userpass", "sasl"], default="pass")
    parser.add_argument("--lifetime", type=float, default=120.0)
    return parser.parse_args()


class Client:
    def __init__(self, options):
        self.options = options
        # Debian's python3-irc 8.5 calls its reactor IRC (later versions: Reactor).
        self.reactor = irc.client.IRC()
        self.connection = self.reactor.server()
        self.done = False
        for event in ("welcome", "pubmsg", "privmsg", "pubnotice", "privnotice", "join", "part", "quit",
                      "cap", "authenticate", "error", "disconnect"):
            self.connection.add_global_handler(event, getattr(self, "on_" + event))
        # Numerics by their code (the library names only some of them).
        self.connection.add_global_handler("all_raw_messages", self.on_raw)

    def connect(self):
        options = self.options
        password = None
        if options.login == "pass":
            password = options.password
        elif options.login == "userpass":
            password = options.nick + ":" + options.password

        def socket_factory(address):
            sock = irc.connection.Factory()(address)
            # SASL: capability negotiation must start before NICK and USER, which the library sends
            # as soon as it has the socket; a server then holds registration until CAP END.
            if options.login == "sasl":
                sock.send(b"CAP LS 302\r\n")
            return sock

        self.connection.connect(options.host, options.port, options.nick, password=password,
                                connect_factory=socket_factory)

    # --- server to test

    def on_welcome(self, connection, event):
        report("registered", nick=event.target)

    def on_pubmsg(self, connection, event):
        self.message("pubmsg", event)

    def on_privmsg(self, connection, event):
        self.message("privmsg", event)

    def on_pubnotice(self, connection, event):
        self.message("pubnotice", event)

    def on_privnotice(self, connection, event):
        self.message("privnotice", event)

    def message(self, kind, event):
        report("message", kind=kind, **{"from": event.source.nick if event.source else None},
               target=event.target, text=event.arguments[0] if event.arguments else "")

    def on_join(self, connection, event):
        report("join", nick=event.source.nick, channel=event.target)

    def on_part(self, connection, event):
        report("part", nick=event.source.nick, channel=event.target)

    def on_quit(self, connection, event):
        report("quit", nick=event.source.nick, text=event.arguments[0] if event.arguments else "")

    def on_cap(self, connection, event):
        subcommand = event.arguments[0] if event.arguments else ""
        capabilities = event.arguments[-1].split() if len(event.arguments) > 1 else []
        report("cap", subcommand=subcommand, capabilities=capabilities)
        if self.options.login != "sasl":
            return
        names = [c.split("=", 1)[0] for c in capabilities]
        if subcommand == "LS" and "sasl" in names:
            connection.cap("REQ", "sasl")
        elif subcommand == "LS":
            report("sasl", state="not offered")
            connection.cap("END")
        elif subcommand == "ACK" and "sasl" in names:
            connection.send_raw("AUTHENTICATE PLAIN")
        elif subcommand == "NAK":
            report("sasl", state="refused")
            connection.cap("END")

    def on_authenticate(self, connection, event):
        if event.target == "+":
            user = self.options.nick
            token = "\0".join([user, user, self.options.password]).encode("utf-8")
            connection.send_raw("AUTHENTICATE " + base64.b64encode(token).decode("ascii"))

    def on_raw(self, connection, event):
        line = event.arguments[0]
        words = line.split(" ")
        if line.startswith("@"):
            words = words[1:]
        if words and words[0].startswith(":"):
            words = words[1:]
        if not words or not (len(words[0]) == 3 and words[0].isdigit()):
            return
        code = words[0]
        rest = " ".join(words[1:])
        middle, _, trailing = rest.partition(" :")
        args = middle.split() + ([trailing] if _ else [])
        report("numeric", code=code, args=args)
        if self.options.login == "sasl" and code in ("903", "904", "905", "906"):
            report("sasl", state="success" if code == "903" else "failure")
            connection.cap("END")

    def on_error(self, connection, event):
        report("error", text=event.target or "")

    def on_disconnect(self, connection, event):
        report("closed", reason=event.arguments[0] if event.arguments else "")
        self.done = True

    # --- test to server

    def obey(self, command):
        op = command.get("op")
        c = self.connection
        if op == "privmsg":
            c.privmsg(command["target"], command["text"])
        elif op == "notice":
            c.notice(command["target"], command["text"])
        elif op == "join":
            c.join(command["channel"])
        elif op == "part":
            c.part(command["channel"])
        elif op == "raw":
            c.send_raw(command["line"])
        elif op == "bytes":
            # What the library would refuse to send (over 512 bytes, invalid UTF-8): hostile input.
            c.socket.sendall(base64.b64decode(command["base64"]))
        elif op == "quit":
            c.quit(command.get("text", ""))
        else:
            report("bad_command", command=command)
            return
        report("done", op=op)

    def run(self):
        deadline = time.monotonic() + self.options.lifetime
        pending = b""
        stdin = sys.stdin.fileno()
        watching_stdin = True
        while not self.done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                report("lifetime_over")
                break
            sockets = [self.connection.socket] if self.connection.connected else []
            readable, _, _ = select.select(sockets + ([stdin] if watching_stdin else []), [], [], min(remaining, 1.0))
            if self.connection.socket in readable:
                self.reactor.process_data([self.connection.socket])
            if stdin in readable:
                chunk = os.read(stdin, 65536)
                if not chunk:
                    # The test is gone: leave the server cleanly.
                    watching_stdin = False
                    if self.connection.connected:
                        self.connection.quit("test ended")
                    deadline = min(deadline, time.monotonic() + 5)
                    continue
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        self.obey(json.loads(line))
            if not self.connection.connected:
                self.done = True
        self.connection.close()


def main():
    options = parse_arguments()
    client = Client(options)
    try:
        client.connect()
    except irc.client.ServerConnectionError as error:
        report("closed", reason=str(error))
        return 1
    client.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
