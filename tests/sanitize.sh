#!/bin/sh
# The whole `make check` under AddressSanitizer + UndefinedBehaviorSanitizer (R12.6).
#
# Usage: tests/sanitize.sh [BUILD_DIR]
#   Builds the tree this script is in with clang and --enable-sanitizers in
#   BUILD_DIR (default: a fresh /tmp/regs-sanitize.XXXXXX, removed on success
#   unless SANITIZE_KEEP=1) and runs every test there: unit tests, regsd and
#   regsctl under the integration harness, pam_regs.so in pamdrive through
#   pam_wrapper, the card tests with pcscd. Fails on any failing test and on any
#   sanitizer report from any process, including those whose output the tests
#   never read (regsd's stderr goes to a log): every instrumented process writes
#   its reports to one directory, which is checked at the end.
# Env: CC (default clang), JOBS (default nproc), TESTS (default: all), SANITIZE_SUITE_LOG
#   (a path: the run's test-suite.log is copied there),
#   REGS_SLOW (timeout factor for the harness, default 3: the build is ~2-3x slower).
# Ends with automake's summary and "sanitizers: N passed, N failed"; exits non-zero
# on any failure.
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-}
if [ -z "$build" ]; then
	build=$(mktemp -d /tmp/regs-sanitize.XXXXXX)
	made_build=1
else
	mkdir -p "$build"
	build=$(cd "$build" && pwd)
	made_build=0
fi
# Tests run regsctl and pamdrive as other users (setpriv): they must reach the build.
chmod 755 "$build"
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
started=$(date +%s)

# Automake refuses a VPATH build of a source tree configured in place (setup.sh does
# that): build from a clean copy of the tracked and new files instead.
src=$srcdir
if [ -e "$srcdir/config.status" ] || [ ! -x "$srcdir/configure" ]; then
	if ! git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
		echo "sanitize: $srcdir is configured in place and is no git checkout;" \
			"run 'make distclean' there first" >&2
		exit 2
	fi
	src=$build/src
	rm -rf "$src"
	mkdir -p "$src"
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar -c --null -T - -f -) | tar -x -C "$src" -f -
	(cd "$src" && autoreconf -fi >/dev/null 2>&1) || {
		echo "sanitize: autoreconf failed in $src" >&2
		exit 2
	}
fi

obj=$build/obj
mkdir -p "$obj"
chmod 755 "$obj"
echo "sanitize: building in $obj (CC=${CC:-clang}, -j$jobs)"
(cd "$obj" && "$src/configure" --quiet --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
	--enable-sanitizers CC="${CC:-clang}" CFLAGS="-O1 -g" >configure.out 2>&1) || {
	cat "$obj/configure.out" "$obj/config.log" >&2 2>/dev/null
	exit 2
}
(cd "$obj" && make -j"$jobs" >make.out 2>&1 && make -j"$jobs" check TESTS= >>make.out 2>&1) || {
	tail -60 "$obj/make.out" >&2
	exit 2
}
built=$(date +%s)
# A build that silently lost the flags would pass everything and prove nothing.
for f in regsd-testclock tests/regsctl-test tests/pam/pamdrive tests/unit/test_totp; do
	nm "$obj/$f" 2>/dev/null | grep -q __asan_report_load || {
		echo "sanitize: $f is not instrumented" >&2
		exit 2
	}
done
nm -D "$obj/.libs/pam_regs.so" | grep -q __ubsan_handle || {
	echo "sanitize: pam_regs.so is not instrumented" >&2
	exit 2
}
echo "sanitize: built in $((built - started)) s"

# One directory for every report; processes run as the test users write there too.
reports=$build/reports
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports"
supp=$src/tests/lsan.supp
# abort_on_error=0: a report ends the process with an exit status, no core dump.
ASAN_OPTIONS="log_path=$reports/report:detect_leaks=1:abort_on_error=0:halt_on_error=1"
ASAN_OPTIONS="$ASAN_OPTIONS:detect_stack_use_after_return=1:strict_string_checks=1"
ASAN_OPTIONS="$ASAN_OPTIONS:check_initialization_order=1:detect_invalid_pointer_pairs=0"
UBSAN_OPTIONS="log_path=$reports/report:halt_on_error=1:print_stacktrace=1"
# Only third-party one-time allocations may be suppressed there, never our own code.
LSAN_OPTIONS="print_suppressions=0"
[ -f "$supp" ] && LSAN_OPTIONS="$LSAN_OPTIONS:suppressions=$supp"
# pam_wrapper loads libpam with RTLD_DEEPBIND, which ASan refuses (DESIGN.md).
UID_WRAPPER_DISABLE_DEEPBIND=1
NSS_WRAPPER_DISABLE_DEEPBIND=1
REGS_SLOW=${REGS_SLOW:-3}
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS UID_WRAPPER_DISABLE_DEEPBIND \
	NSS_WRAPPER_DISABLE_DEEPBIND REGS_SLOW
sym=$(command -v llvm-symbolizer || true)
[ -n "$sym" ] && export ASAN_SYMBOLIZER_PATH="$sym"

rc=0
if [ -n "${TESTS+set}" ]; then
	(cd "$obj" && make -j"$jobs" check TESTS="$TESTS") >"$obj/check.out" 2>&1 || rc=1
else
	(cd "$obj" && make -j"$jobs" check) >"$obj/check.out" 2>&1 || rc=1
fi
[ "$rc" -eq 0 ] || cat "$obj/test-suite.log" 2>/dev/null
# automake's summary: the block between the rules around "Testsuite summary".
awk '/^Testsuite summary/ { print prev; on = 1 } on { print } on && /^=====/ && ++n == 2 { exit }
	{ prev = $0 }' "$obj/check.out"

nreports=0
for f in "$reports"/report.*; do
	[ -e "$f" ] || continue
	nreports=$((nreports + 1))
	echo "==== sanitizer report $(basename "$f") ===="
	cat "$f"
done
[ "$nreports" -eq 0 ] || rc=1

# For setup.sh's closing line: this run's automake summary next to the plain run's.
[ -z "${SANITIZE_SUITE_LOG:-}" ] || cp "$obj/test-suite.log" "$SANITIZE_SUITE_LOG" 2>/dev/null ||
	echo "# FAIL: 1" >"$SANITIZE_SUITE_LOG"
counts=$(awk '/^# (PASS|FAIL|ERROR|XPASS):/ { n[$2] = $3 }
	END { printf "%d %d", n["PASS:"], n["FAIL:"] + n["ERROR:"] + n["XPASS:"] }' \
	"$obj/test-suite.log" 2>/dev/null || echo "0 1")
set -- $counts
echo "sanitize: $((($(date +%s) - started) / 60)) min $((($(date +%s) - started) % 60)) s" \
	"(build $((built - started)) s, tests $(($(date +%s) - built)) s)"
echo "sanitizers: $1 passed, $2 failed, $nreports sanitizer reports"
if [ "$rc" -eq 0 ] && [ "$made_build" -eq 1 ] && [ "${SANITIZE_KEEP:-0}" != 1 ]; then
	rm -rf "$build"
elif [ "$rc" -ne 0 ]; then
	echo "sanitize: kept $build"
fi
exit "$rc"
