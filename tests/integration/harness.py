"""The integration tests' harness, as the test files import it: the names of
the parts re-exported in one place (python3 stdlib and python3-jeepney).

    procs.py     paths, waits for slow builds, child pipes, ports, process trees
    tap.py       the TAP runner (fresh state per test) and check()/skip()
    wrappers.py  NSS and PAM under nss_wrapper/pam_wrapper, pamdrive, PamResult
    bus.py       the private dbus-daemon, dbus-send replies, BusSession (jeepney)
    totp.py      oathtool codes and the test clock
    mail.py      the SMTP sink (R8) and the mails it delivered
    regsctl.py   regsctl runs, dialogs and OTP enrolment
    jsonout.py   reading JSON output
    env.py       Env: the parts around one temp dir, regs.conf and regsd

A test file defines ``test_<rule>_<what>(env)`` functions and ends with
``harness.main(globals())``; main(g, **kw) builds its Env as harness.Env(**kw),
so a file may put a subclass there first (test_zh_tw.py does).
"""

import subprocess  # noqa: F401 (tests call harness.subprocess)

from busnames import *  # noqa: F401,F403 (the contract's names, re-exported to the tests)
from bus import Bus, BusSession, dbus_error_name, parse_reply  # noqa: F401
from env import Env  # noqa: F401
from jsonout import json_records, load_json, walk_json  # noqa: F401
from mail import MAIL_FROM, RESET_CODE, SmtpServer, _smtp_python  # noqa: F401
from procs import (BUILDDIR, FIXTURES, HERE, SLOW, SRCDIR, _end_child,  # noqa: F401
                   _read_avail, _set_nonblock, descendants, free_port, slow)
from regsctl import BOUND_MSG, BOUND_MSG_ZH, status_otp_line  # noqa: F401
from tap import Skip, _diag, check, check_in, skip  # noqa: F401
import tap
from totp import OATHTOOL, _py_totp, secret_from_uri, totp_at  # noqa: F401
from wrappers import (EXTRA_USERS, FIXED_USERS, LIBDIRS, NSS_WRAPPER,  # noqa: F401
                      PAM_SERVICES, PAM_WRAPPER, PamResult, _find_lib, _find_pam_matrix)


def main(g, **env_kwargs):
    """Runs every test_* function of the module dict g (see tap.run), with
    harness.Env as it is at call time."""
    tap.run(g, lambda: Env(**env_kwargs))
