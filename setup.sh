#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: installs what pam_regs needs,
# builds it, and runs either the end-to-end demo or the full test suite.
#   ./setup.sh demo   daemon on a private bus + LMDB, enrol, real PAM login
#   ./setup.sh test   every test (make check), format check, make distcheck
#   ./setup.sh deps   only install the Debian packages
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
	# build
	build-essential autoconf automake libtool pkg-config gettext autopoint clang-format
	# libraries (configure names the package when one is missing)
	libpam0g-dev libssl-dev liboath-dev liblmdb-dev libdbus-1-dev libcurl4-openssl-dev
	libpcsclite-dev libqrencode-dev libjson-c-dev libcmocka-dev
	# test and demo tools: real libpam through pam_wrapper, a private dbus-daemon
	# under nss_wrapper, an independent TOTP implementation
	libpam-wrapper libnss-wrapper dbus-daemon dbus-bin oathtool python3 util-linux lmdb-utils
	# the tests' D-Bus client (tests/integration/bus.py: one connection kept across calls)
	python3-jeepney
	# gdbus for the bus contract test (tests/integration/test_contract.py; busctl is systemd's)
	libglib2.0-bin
	# zh_TW.UTF-8 for the translated-flow test (R9.6): localedef and the zh_TW source
	locales
	# a real SMTP server on loopback for the mail tests, and certificates made at test time
	python3-aiosmtpd openssl
	# the virtual citizen card (R3): a real pcscd in a private mount namespace with
	# the vpcd driver, scriptor as an independent client, a test PKI made at test time
	pcscd vsmartcard-vpcd pcsc-tools libpcsclite1 python3-cryptography
	# R11.2: the real Cockpit web console (no systemd; a private mount namespace) driven
	# by a real headless Chromium (tests/integration/test_cockpit.py)
	cockpit-ws cockpit-system cockpit-bridge chromium chromium-driver python3-selenium
	# benchmark anchors
	libpam-google-authenticator libpam-oath
	# systemd-analyze: the unit's sandbox score and verify, offline (tests/integration/test_unit.sh)
	systemd
	# R11.1: the real OpenSSH server and client, driven on a pty (tests/integration/sshenv.py;
	# pexpect also checks what regsctl echoes)
	openssh-server openssh-client python3-pexpect
	# R12.6: tests/sanitize.sh (make check again under ASan + UBSan) and the libFuzzer
	# targets (tests/fuzz): clang with its sanitizer and libFuzzer runtimes; llvm for
	# llvm-symbolizer, which names the frames in a report
	clang libclang-rt-14-dev llvm
	# R10: the fleet store (libpq for regsd), and real PostgreSQL servers (primary and
	# synchronous standby) that the tests start themselves with initdb/pg_ctl, no system service
	libpq-dev postgresql-15
	# R11.3 single-prompt clients: the real FreeRADIUS (rlm_pam) queried with radclient,
	# the real apache2 with mod_authnz_pam queried with curl (tests/integration/test_single_prompt.py)
	freeradius freeradius-utils apache2 libapache2-mod-authnz-pam curl
)

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "setup: installing ${missing[*]}" >&2
		as_root apt-get update -q
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
	fi
}

build() {
	autoreconf -fi >/dev/null
	./configure --quiet --prefix=/usr --sysconfdir=/etc --localstatedir=/var
	make -j"$(nproc)" >/dev/null
	make -j"$(nproc)" check TESTS= >/dev/null # test programs, without running them
}

# The closing line: "N passed, N failed, N skipped" from automake's summaries of the
# plain run and of the sanitizer run (each test counts once per run), plus the fuzz stage.
report() {
	awk '/^# (PASS|FAIL|ERROR|XPASS|SKIP):/ { n[$2] += $3 }
	     END { printf "%d passed, %d failed, %d skipped\n", n["PASS:"],
	           n["FAIL:"] + n["ERROR:"] + n["XPASS:"], n["SKIP:"] }' "$@"
}

# R12.6 on every change: the whole suite again under ASan + UBSan, then each libFuzzer
# target for a budget (REGS_FUZZ_SECONDS each, 20 by default; `make fuzz` runs longer).
hardening_passes() {
	local rc=0
	if [ "${REGS_SKIP_SANITIZERS:-0}" != 1 ]; then
		SANITIZE_SUITE_LOG="$PWD/sanitize-suite.log" tests/sanitize.sh || rc=1
	fi
	if [ "${REGS_SKIP_FUZZ:-0}" != 1 ]; then
		local frc=0
		tests/fuzz/ci.sh "${REGS_FUZZ_SECONDS:-20}" >fuzz.log 2>&1 || frc=1
		cat fuzz.log
		# one result per target from its table row; a stage that failed without rows, one failure
		awk -v frc="$frc" '$NF == "ok" && NF == 6 { p++ } $NF ~ /^FAILED/ { f++ }
		     END { if (frc && !f) f = 1; printf "# PASS: %d\n# FAIL: %d\n", p, f }' \
			fuzz.log >fuzz-suite.log
		[ "$frc" -eq 0 ] || rc=1
	fi
	return "$rc"
}

run_tests() {
	local rc=0
	rm -f sanitize-suite.log fuzz-suite.log
	make -j"$(nproc)" check || rc=$?
	[ "$rc" -eq 0 ] || cat test-suite.log >&2
	make format-check || rc=1
	if [ "$rc" -eq 0 ] && [ "${REGS_SKIP_DISTCHECK:-0}" != 1 ]; then
		make -j"$(nproc)" distcheck >distcheck.log 2>&1 || { tail -50 distcheck.log; rc=1; }
		[ "$rc" -eq 0 ] && echo "make distcheck: ok"
	fi
	hardening_passes || rc=1
	report test-suite.log $(ls sanitize-suite.log fuzz-suite.log 2>/dev/null)
	return "$rc"
}

case "${1:-}" in
deps) install_deps ;;
demo)
	install_deps
	build
	exec python3 tools/demo.py
	;;
test)
	install_deps
	build
	run_tests
	;;
*)
	echo "usage: $0 demo|test|deps" >&2
	exit 1
	;;
esac
