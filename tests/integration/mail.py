"""Mail for the integration tests (R8): tests/fixtures/smtp_server.py (aiosmtpd,
STARTTLS with a test CA made by tests/fixtures/make_certs.sh) on a free
loopback port, delivering into a Maildir; Env's part that points regs.conf at
it and reads what it delivered (env.mails(), env.last_code())."""

import email
import email.policy
import email.utils
import os
import re
import select
import subprocess
import time

from procs import FIXTURES, free_port, python_with, stop
from tap import check

MAIL_FROM = "pam_regs@test.invalid"
RESET_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}-\d{6})(?!\d)")


def _smtp_python():
    """A python with aiosmtpd: this one, else the system's (the fixture's #!)."""
    return python_with("aiosmtpd", "the SMTP sink of the mail tests")


def _maildir_key(name):
    # mailbox.Maildir names: <seconds>.M<microseconds>P<pid>Q<n>.<host>
    m = re.match(r"(\d+)\.M(\d+)P\d+Q(\d+)", name)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), name) if m else (0, 0, 0, name)


def _empty_maildir(maildir):
    """Removes the mails, keeping the folders (the running server writes into them)."""
    for sub in ("new", "cur", "tmp"):
        d = os.path.join(maildir, sub)
        for name in os.listdir(d) if os.path.isdir(d) else ():
            os.unlink(os.path.join(d, name))


class SmtpServer:
    """tests/fixtures/smtp_server.py on a free 127.0.0.1 port, delivering into
    a Maildir. tls: "starttls" (offered), "require-starttls" (mail refused
    before STARTTLS) or "plain"/None (no TLS). stop() and start() again keep
    the port and the Maildir."""

    def __init__(self, maildir, log, tls="starttls", certs=None):
        self.maildir, self.log, self.tls, self.certs = maildir, log, tls, certs
        self.port = None
        self.proc = None

    def start(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            return
        cmd = [_smtp_python(), os.path.join(FIXTURES, "smtp_server.py"),
               "--maildir", self.maildir]
        if self.certs:
            cmd += ["--tls-cert", os.path.join(self.certs, "server.pem"),
                    "--tls-key", os.path.join(self.certs, "server.key")]
        if self.tls == "require-starttls":
            cmd.append("--require-starttls")
        for attempt in range(5):
            port = self.port or free_port()
            logf = open(self.log, "ab")
            self.proc = subprocess.Popen(cmd + ["--port", str(port)], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=logf)
            logf.close()
            r, _, _ = select.select([self.proc.stdout], [], [], timeout)
            line = self.proc.stdout.readline().decode(errors="replace").strip() if r else ""
            if line == "ready":
                self.port = port
                return
            self.stop()
            if self.port:  # the same port again: a moment for it to be free
                time.sleep(0.5)
        with open(self.log, errors="replace") as f:
            raise RuntimeError("smtp_server.py did not start:\n" + f.read()[-3000:])

    def stop(self):
        p, self.proc = self.proc, None
        if p:
            stop(p, 10)
        if p and p.stdout:
            p.stdout.close()

    def running(self):
        return bool(self.proc and self.proc.poll() is None)

    def messages(self, to=None):
        """Delivered mails, oldest first; to: only those for this address."""
        d = os.path.join(self.maildir, "new")
        try:
            names = sorted(os.listdir(d), key=_maildir_key)
        except FileNotFoundError:
            return []
        msgs = []
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                m = email.message_from_binary_file(f, policy=email.policy.default)
            rcpts = [a.lower() for _, a in email.utils.getaddresses(
                m.get_all("To", []) + m.get_all("X-RcptTo", []))]
            if to is None or to.lower() in rcpts:
                msgs.append(m)
        return msgs


class Mail:
    """Env's part for mail: self.smtp (the server regs.conf points at),
    self.smtp_servers (every one started, stopped at cleanup), self.smtp_conf
    (the regs.conf lines). Needs self.path(), self.tmp and self.write_conf()."""

    smtp = None
    smtp_conf = {}

    # -- mail
    def make_certs(self):
        """The test CA and server certificate (made once per Env): their directory."""
        d = self.path("certs")
        if not os.path.exists(os.path.join(d, "server.pem")):
            subprocess.run(["sh", os.path.join(FIXTURES, "make_certs.sh"), d], check=True,
                           timeout=60)
        return d

    def start_smtp(self, name="smtp", tls="starttls"):
        """Starts another SMTP sink writing <tmp>/<name>.maildir; see SmtpServer."""
        certs = self.make_certs() if tls in ("starttls", "require-starttls") else None
        srv = SmtpServer(self.path(name + ".maildir"), self.path(name + ".log"), tls, certs)
        self.smtp_servers.append(srv)
        srv.start()
        return srv

    def use_smtp(self, srv):
        """Points regs.conf at srv (written now; regsd reads it at its next start)."""
        self.smtp_conf = {
            "smtp_url": "smtp://127.0.0.1:%d" % srv.port,
            "smtp_from": MAIL_FROM,
            "smtp_starttls": "required",
            "smtp_timeout_seconds": "10",
        }
        if srv.certs:
            self.smtp_conf["smtp_ca_file"] = os.path.join(srv.certs, "ca.pem")
        if self.tmp and os.path.exists(self.path("regs.conf")):
            self.write_conf()

    def mail_messages(self, to=None, server=None):
        """The delivered mails (email.message.EmailMessage), oldest first."""
        srv = server or self.smtp
        check(srv is not None, "this Env has no SMTP server (Env(smtp=True))")
        return srv.messages(to)

    def mails(self, to=None, server=None):
        """[(subject, body)] of the delivered mails, decoded, newest last."""
        return [(str(m.get("Subject", "")), m.get_content().replace("\r\n", "\n"))
                for m in self.mail_messages(to, server)]

    def last_code(self, to):
        """The code (like "KX-123456") in the newest mail to `to`."""
        got = self.mails(to)
        check(got, "no mail to %s was delivered" % to)
        codes = RESET_CODE.findall(got[-1][1])
        check(codes, "no code like KX-123456 in the newest mail to %s:\n%s" % (to, got[-1][1]))
        return codes[0]

    def stop_smtp_servers(self):
        for srv in self.smtp_servers:
            srv.stop()
        self.smtp_servers = []

    def mail_snapshot(self):
        """What reset_mail() goes back to: the servers and regs.conf's lines."""
        return self.smtp, list(self.smtp_servers), dict(self.smtp_conf)

    def reset_mail(self, snap):
        """The servers of snap running with empty Maildirs, the others stopped."""
        self.smtp, servers, self.smtp_conf = snap[0], snap[1], dict(snap[2])
        for srv in self.smtp_servers:
            if srv not in servers:
                srv.stop()
        self.smtp_servers = list(servers)
        for srv in servers:
            _empty_maildir(srv.maildir)
            srv.start()
