#!/usr/bin/python3
"""telnet_recorder: a fake terminal-server port / fake RFC 2217 node for tests.

Listens on 127.0.0.1, parses the telnet protocol itself (byte-exact, independent
of libtelnet: it is the test oracle) and appends one JSON object per line to
--log for everything it receives, flushed after each line:

  {"t": 12.3, "conn": 1, "ev": "open"}
  {"t": ..., "conn": 1, "ev": "data", "hex": "68 69"}      data bytes, IAC IAC undone
  {"t": ..., "conn": 1, "ev": "cmd", "cmd": 243}           IAC BRK, NOP, AYT, ...
  {"t": ..., "conn": 1, "ev": "opt", "verb": "WILL", "opt": 44}
  {"t": ..., "conn": 1, "ev": "sb", "opt": 44, "hex": "05 05"}   bytes after the option
  {"t": ..., "conn": 1, "ev": "close"}

It logs only what it receives, never what it sends. Negotiation follows RFC 1143
(a request for a state we are already in is not answered), so no loops. Run it
with /usr/bin/python3 (stdlib only). Prints "listening PORT" once listening;
exits cleanly on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
VERBS = {WILL: "WILL", WONT: "WONT", DO: "DO", DONT: "DONT"}
BINARY, ECHO, SGA, TIMING_MARK, COM_PORT = 0, 1, 3, 6, 44

# Options we let the peer enable on its side (answer WILL with DO).
HIM_OK = {BINARY, SGA, COM_PORT}
# Options we agree to enable on our side (answer DO with WILL).
US_OK = {BINARY, SGA, ECHO, COM_PORT}

NO, YES, WANTYES = 0, 1, 2


class Log:
    """One JSON object per line, flushed each time (tests read it while we run)."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="ascii") if path else None

    def write(self, conn, ev, **fields):
        if self.f is None:
            return
        obj = {"t": round(time.monotonic(), 6), "conn": conn, "ev": ev}
        obj.update(fields)
        self.f.write(json.dumps(obj) + "\n")
        self.f.flush()


def hexs(data):
    return " ".join("%02x" % b for b in data)


def escape(data):
    return bytes(data).replace(b"\xff", b"\xff\xff")


class Conn(asyncio.Protocol):
    def __init__(self, server, num):
        self.srv = server
        self.num = num
        self.transport = None
        self.state = "data"          # data | iac | opt | sb | sb_iac
        self.verb = 0
        self.sb = bytearray()
        self.him = {}                # option -> NO/YES/WANTYES (peer's side)
        self.us = {}                 # option -> NO/YES/WANTYES (our side)

    # --- connection lifecycle -------------------------------------------------
    def connection_made(self, transport):
        self.transport = transport
        self.srv.conns.add(self)
        self.srv.log.write(self.num, "open")
        opts = self.srv.opts
        if opts.no_read:
            # Not pause_reading() right here: Python 3.11 adds the reader only
            # after connection_made() returns, whatever we paused.
            asyncio.get_running_loop().call_soon(transport.pause_reading)
        if opts.silent:
            return
        for verb, opt in ((WILL, ECHO), (WILL, SGA), (DO, BINARY), (WILL, BINARY)):
            (self.us if verb == WILL else self.him)[opt] = WANTYES
            self.send(bytes([IAC, verb, opt]))
        if opts.greeting:
            self.send(escape(opts.greeting))
        if opts.send_file:
            with open(opts.send_file, "rb") as f:
                self.send(escape(f.read()))

    def connection_lost(self, exc):
        self.srv.conns.discard(self)
        self.srv.log.write(self.num, "close")

    def send(self, data):
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    # --- telnet parser ----------------------------------------------------------
    def data_received(self, data):
        plain = bytearray()
        for b in data:
            st = self.state
            if st == "data":
                if b == IAC:
                    self.state = "iac"
                else:
                    plain.append(b)
            elif st == "iac":
                if b == IAC:
                    plain.append(IAC)
                    self.state = "data"
                    continue
                self.flush_data(plain)
                if b in VERBS:
                    self.verb = b
                    self.state = "opt"
                elif b == SB:
                    self.sb = bytearray()
                    self.state = "sb"
                else:
                    self.srv.log.write(self.num, "cmd", cmd=b)
                    self.state = "data"
            elif st == "opt":
                self.state = "data"
                self.on_negotiation(self.verb, b)
            elif st == "sb":
                if b == IAC:
                    self.state = "sb_iac"
                else:
                    self.sb.append(b)
            elif st == "sb_iac":
                if b == IAC:
                    self.sb.append(IAC)
                    self.state = "sb"
                elif b == SE:
                    self.state = "data"
                    self.on_subnegotiation(bytes(self.sb))
                else:
                    # Protocol error (IAC x inside SB): log what we had, then
                    # treat x as a command, as libtelnet does.
                    self.state = "data"
                    self.on_subnegotiation(bytes(self.sb))
                    self.srv.log.write(self.num, "cmd", cmd=b)
        self.flush_data(plain)

    def flush_data(self, plain):
        if plain:
            self.srv.log.write(self.num, "data", hex=hexs(plain))
            if self.srv.opts.echo and not self.srv.opts.silent:
                self.send(escape(plain))
            plain.clear()

    def on_negotiation(self, verb, opt):
        self.srv.log.write(self.num, "opt", verb=VERBS[verb], opt=opt)
        if self.srv.opts.silent:
            return
        if opt == TIMING_MARK and verb == DO:
            # RFC 860: every DO TIMING-MARK is a fresh request and gets its own
            # reply once everything before it has been processed (we are
            # synchronous, so that is now). It never becomes a lasting state.
            accept = not self.srv.opts.no_timing_mark
            self.send(bytes([IAC, WILL if accept else WONT, TIMING_MARK]))
            return
        if verb in (WILL, WONT):
            table, ok, yes, no = self.him, opt in HIM_OK, DO, DONT
        else:
            table, ok, yes, no = self.us, opt in US_OK, WILL, WONT
        cur = table.get(opt, NO)
        if verb in (WILL, DO):
            if cur == YES:
                return                      # already on: no answer (RFC 1143)
            if cur == WANTYES:
                table[opt] = YES            # the answer to our own request
                return
            if ok:
                table[opt] = YES
                self.send(bytes([IAC, yes, opt]))
            else:
                self.send(bytes([IAC, no, opt]))
        else:
            if cur == NO:
                return                      # already off: no answer
            table[opt] = NO
            if cur == YES:
                self.send(bytes([IAC, no, opt]))
            # cur == WANTYES: the peer refused our request; nothing to say.

    def on_subnegotiation(self, payload):
        if not payload:
            self.srv.log.write(self.num, "sb", opt=-1, hex="")
            return
        opt, rest = payload[0], payload[1:]
        self.srv.log.write(self.num, "sb", opt=opt, hex=hexs(rest))
        if self.srv.opts.silent:
            return
        # RFC 2217: the server acknowledges client command c with c+100 and the
        # value it now uses; echoing the requested value is what ser2net expects.
        if opt == COM_PORT and rest and rest[0] < 100:
            reply = bytes([rest[0] + 100]) + rest[1:]
            self.send(bytes([IAC, SB, COM_PORT]) + escape(reply) + bytes([IAC, SE]))


class Server:
    def __init__(self, opts):
        self.opts = opts
        self.log = Log(opts.log)
        self.conns = set()
        self.next_conn = opts.first_conn

    def factory(self):
        num = self.next_conn
        self.next_conn += 1
        return Conn(self, num)


async def main(opts):
    srv = Server(opts)
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if opts.no_read:
        # A small receive buffer (inherited by accepted sockets) makes the
        # client's writes block after a few kB instead of a few MB.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind(("127.0.0.1", opts.port))
    sock.listen(16)
    server = await loop.create_server(srv.factory, sock=sock)
    port = sock.getsockname()[1]
    if opts.pidfile:
        with open(opts.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    print("listening %d" % port, flush=True)

    done = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    server.close()
    for c in list(srv.conns):
        c.transport.abort()       # connection_lost logs "close"
    await asyncio.sleep(0)
    if opts.pidfile:
        try:
            os.unlink(opts.pidfile)
        except OSError:
            pass


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port and print it")
    p.add_argument("--log", help="JSON-lines event log (appended)")
    p.add_argument("--echo", action="store_true", help="echo received data back")
    p.add_argument("--greeting", default="", help="data sent on connect (Python escapes)")
    p.add_argument("--send-file", help="send this file's bytes right after connect")
    p.add_argument("--silent", action="store_true", help="send nothing, answer nothing")
    p.add_argument("--no-read", action="store_true", help="never read the socket")
    p.add_argument("--no-timing-mark", action="store_true", help="refuse DO TIMING-MARK")
    p.add_argument("--first-conn", type=int, default=1, help="number of the first connection")
    p.add_argument("--pidfile")
    opts = p.parse_args(argv)
    opts.greeting = opts.greeting.encode("latin-1").decode("unicode_escape").encode("latin-1")
    return opts


if __name__ == "__main__":
    asyncio.run(main(parse_args(sys.argv[1:])))
