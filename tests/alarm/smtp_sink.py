#!/usr/bin/python3
"""SMTP sink for the alarm peer tests (aiosmtpd 1.4, run with /usr/bin/python3).

Stores each accepted message as MAILDIR/new/N.eml (written to tmp/, then
renamed), with X-MailFrom, X-RcptTo and X-Tls lines in front, like aiosmtpd's
Mailbox handler. Fault modes:
  --fail CODE --fail-count N   answer DATA with CODE for the first N messages
                               (421 also closes the connection, as RFC 5321 says)
  --reject-rcpt CODE           answer every RCPT TO with CODE
TLS: --starttls CERT KEY (STARTTLS required before MAIL), --smtps CERT KEY
(implicit TLS). --auth USER:PASSWORD requires AUTH (PLAIN/LOGIN, after TLS);
--auth-file FILE the same with USER:PASSWORD read from FILE (UTF-8, one line,
its line end dropped), so that the password is in no process's argv. Each
AUTH attempt prints "auth ok MECHANISM" or "auth refused MECHANISM".
Prints "listening PORT" once ready; exits on SIGTERM.
"""
import argparse
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, maildir, fail, fail_count, reject_rcpt):
        self.maildir = maildir
        self.fail = fail
        self.fail_left = fail_count
        self.reject_rcpt = reject_rcpt
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt:
            return "%d 5.1.1 <%s>: recipient rejected by test sink" % (self.reject_rcpt, address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.fail and self.fail_left > 0:
                self.fail_left -= 1
                code = self.fail
                if code == 421:
                    return "421 4.3.2 test sink shutting down"
                if code >= 500:
                    return "%d 5.7.1 rejected by test sink" % code
                return "%d 4.3.0 test sink says try later" % code
            self.count += 1
            n = self.count
        head = "X-MailFrom: %s\r\nX-RcptTo: %s\r\nX-Tls: %s\r\nX-Auth: %s\r\n" % (
            envelope.mail_from, ", ".join(envelope.rcpt_tos),
            "yes" if server.transport.get_extra_info("ssl_object") is not None else "no",
            session.authenticated and "yes" or "no")
        data = head.encode() + envelope.original_content
        tmp = os.path.join(self.maildir, "tmp", "%d.eml" % n)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.maildir, "new", "%d.eml" % n))
        return "250 2.0.0 stored as %d" % n


def context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--fail", type=int, default=0)
    p.add_argument("--fail-count", type=int, default=0)
    p.add_argument("--reject-rcpt", type=int, default=0)
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth")
    p.add_argument("--auth-file")
    a = p.parse_args()
    if a.auth_file:
        with open(a.auth_file, encoding="utf-8", newline="") as f:
            a.auth = f.readline().rstrip("\r\n")
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(a.maildir, sub), exist_ok=True)

    kwargs = {}
    if a.starttls:
        kwargs["tls_context"] = context(*a.starttls)
        kwargs["require_starttls"] = True
    if a.smtps:
        kwargs["ssl_context"] = context(*a.smtps)
    if a.auth:
        user, password = a.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            # One line per attempt, never the password: "auth ok PLAIN" / "auth refused LOGIN".
            print("auth %s %s" % ("ok" if ok else "refused", mechanism), flush=True)
            # handled=False: aiosmtpd itself answers 535 to a failure.
            return AuthResult(success=ok, handled=False)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(a.starttls or a.smtps)

    handler = Sink(a.maildir, a.fail, a.fail_count, a.reject_rcpt)
    ctl = Controller(handler, hostname="127.0.0.1", port=a.port, **kwargs)
    ctl.start()
    print("listening %d" % a.port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    ctl.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
