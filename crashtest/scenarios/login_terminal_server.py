#!/usr/bin/env python3
"""A terminal server's login in front of a telnet port (secrets_canary.sh).

Asks "Username: " and "Password: "; a wrong answer gets "Login incorrect" and
the close, the right one a connection to the node's port (the client's telnet
negotiation, held back during the login, goes first). Logs "login ok" or
"login refused" to LOG, never a password. AUTH_FILE holds USER:PASSWORD.
  login_terminal_server.py PORT TARGET_PORT AUTH_FILE LOG
"""
import socket, sys, threading
port, target, auth, logf = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(auth, "rb") as f:
    user, password = f.read().rstrip(b"\r\n").split(b":", 1)
lock = threading.Lock()
def log(m):
    with lock, open(logf, "a") as f:
        f.write(m + "\n")
class Reader:  # telnet commands out of the data, kept in .neg
    def __init__(self, s):
        self.s, self.neg, self.pending, self.st, self.cmd = s, bytearray(), bytearray(), 0, bytearray()
    def line(self):
        out = bytearray()
        while True:
            if not self.pending:
                d = self.s.recv(4096)
                if not d:
                    return None
                self.pending += d
            b = self.pending.pop(0)
            if self.st == 0:
                if b == 255:
                    self.cmd, self.st = bytearray([b]), 1
                    continue
            elif self.st == 1:
                self.cmd.append(b)
                if b == 255:
                    self.st = 0       # IAC IAC: a data 0xFF
                elif 251 <= b <= 254:
                    self.st = 2
                    continue
                elif b == 250:
                    self.st = 3
                    continue
                else:
                    self.neg += self.cmd
                    self.st = 0
                    continue
            elif self.st == 2:
                self.cmd.append(b)
                self.neg += self.cmd
                self.st = 0
                continue
            else:                     # inside SB ... IAC SE
                self.cmd.append(b)
                if self.st == 4 and b == 240:
                    self.neg += self.cmd
                    self.st = 0
                else:
                    self.st = 4 if (self.st == 3 and b == 255) else 3
                continue
            if b in (13, 10):
                if out:
                    return bytes(out)
            elif b:
                out.append(b)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def handle(c):
    try:
        r = Reader(c)
        c.sendall(b"\r\nUsername: ")
        u = r.line()
        if u is None:
            return
        c.sendall(b"\r\nPassword: ")
        p = r.line()
        if p is None:
            return
        if u != user or p != password:
            log("login refused (user %s, password %s)" % ("right" if u == user else "wrong", "right" if p == password else "wrong"))
            c.sendall(b"\r\nLogin incorrect\r\n")
            return
        log("login ok user=" + u.decode())
        n = socket.create_connection(("127.0.0.1", target))
        rest = bytes(r.pending)
        if rest[:1] in (b"\n", b"\0"):
            rest = rest[1:]
        n.sendall(bytes(r.neg) + rest)
        t = threading.Thread(target=pump, args=(n, c), daemon=True)
        t.start()
        pump(c, n)
        t.join()
        n.close()
    except OSError as e:
        log("connection error: %s" % e)
    finally:
        c.close()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(4)
log("listening %d" % port)
while True:
    c, _ = ls.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
