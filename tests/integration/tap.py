"""The TAP runner of the integration tests and their assertions.

A test file defines functions ``test_<rule>_<what>(env)`` (or without the env
parameter) and ends with ``harness.main(globals())``. run() prints a TAP plan
and runs the tests in definition order; those taking env share one
environment, reset to the state it had after its set-up before each test
(env.reset(): see env.py), so a failing test cannot fail the ones after it.
"""

import inspect
import sys
import time
import traceback


class Skip(Exception):
    """Raised by skip(); a reason is mandatory."""


def skip(reason):
    if not reason:
        raise ValueError("a skip needs a reason")
    raise Skip(reason)


def check(cond, msg, *context):
    """Fails the test with msg (and any context objects printed below it)."""
    if not cond:
        extra = "".join("\n" + str(c) for c in context)
        raise AssertionError(msg + extra)


def check_in(needle, haystack, msg, *context):
    check(needle in haystack, "%s: %r not in %r" % (msg, needle, haystack), *context)


def _diag(text):
    for line in str(text).rstrip("\n").splitlines():
        print("# " + line)


def _takes_env(fn):
    return len(inspect.signature(fn).parameters) > 0


def _run_one(k, name, fn, env, setup_error):
    """Runs one test and prints its TAP line (and the failure as comments)."""
    try:
        if _takes_env(fn):
            if setup_error:
                raise RuntimeError("environment set-up failed:\n" + setup_error)
            fn(env)
        else:
            fn()
        print("ok %d - %s" % (k, name), flush=True)
    except Skip as s:
        print("ok %d - %s # SKIP %s" % (k, name, s), flush=True)
    except Exception as e:
        print("not ok %d - %s" % (k, name))
        _diag("%s: %s" % (type(e).__name__, e))
        _diag(traceback.format_exc())
        if env and env.tmp:
            _diag(env.regsd_tail(15))
        sys.stdout.flush()


def _fresh(env, first, spent):
    """env as after its set-up: the first test gets it as it is, later ones reset.
    spent[0] adds up the time the resets take."""
    if first:
        return None
    started = time.monotonic()
    try:
        env.reset()
        return None
    except Exception:
        return "resetting the environment after the previous test failed:\n" + \
            traceback.format_exc()
    finally:
        spent[0] += time.monotonic() - started


def run(g, make_env):
    """Runs every test_* function of the module dict g in definition order;
    make_env() builds the environment (a context manager with snapshot() and
    reset()) when a test takes one."""
    tests = [(n, f) for n, f in g.items() if n.startswith("test_") and callable(f)]
    print("1..%d" % len(tests), flush=True)
    env, setup_error, first, spent = None, None, True, [0.0]
    try:
        if any(_takes_env(f) for _, f in tests):
            try:
                env = make_env().__enter__()
                started = time.monotonic()
                env.snapshot()
                spent[0] += time.monotonic() - started
            except Exception:
                setup_error = traceback.format_exc()
        for k, (name, fn) in enumerate(tests, 1):
            error = setup_error
            if _takes_env(fn) and env and not setup_error:
                error, first = _fresh(env, first, spent), False
            _run_one(k, name, fn, env, error)
    finally:
        if env:
            env.__exit__(None, None, None)
            print("# fresh state for each test: %.1f s (snapshot and resets)" % spent[0],
                  flush=True)
    sys.exit(0)
