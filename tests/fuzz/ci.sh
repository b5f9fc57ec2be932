#!/bin/sh
# The fuzz stage of CI (R12.6): an out-of-tree clang build with libFuzzer, ASan and UBSan in a
# temporary directory, then every target for SECONDS_PER_TARGET on a copy of its corpus.
#   tests/fuzz/ci.sh SECONDS_PER_TARGET
# Prints a table (target, execs, execs/s, cov, corpus) and exits non-zero on any finding (crash,
# leak, UB, timeout) or build failure. The source tree is not written to: when it is configured
# in place (which forbids a VPATH build) or has no configure script, the build uses a clean
# copy of it (git's files) made in the temporary directory. FUZZ_JOBS targets run at once (2).
set -eu
seconds=${1:?usage: ci.sh SECONDS_PER_TARGET}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/regs-fuzz-ci.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2

src=$srcdir
if [ -f "$srcdir/config.status" ] || [ ! -x "$srcdir/configure" ]; then
	src=$tmp/src
	mkdir -p "$src"
	if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
			xargs -0 tar -cf - --no-recursion) | tar -C "$src" -xf -
	else
		echo "ci.sh: $srcdir is configured in place and not a git tree: run make distclean there" >&2
		exit 2
	fi
	(cd "$src" && autoreconf -fi >/dev/null 2>&1) || {
		echo "ci.sh: autoreconf failed" >&2
		exit 2
	}
fi

mkdir "$tmp/build"
cd "$tmp/build"
start=$(date +%s)
"$src/configure" --quiet CC=clang --enable-fuzzing --prefix=/usr --sysconfdir=/etc \
	--localstatedir=/var >"$tmp/configure.log" 2>&1 || {
	tail -n 20 "$tmp/configure.log" >&2
	exit 2
}
# The harnesses and what they link only (not regsd, regsctl or the PAM module), after the
# header generated from the bus contract (make builds BUILT_SOURCES first only for all/check).
make lib/proto/contract.h >"$tmp/build.log" 2>&1 || {
	tail -n 30 "$tmp/build.log" >&2
	echo "ci.sh: generating lib/proto/contract.h failed" >&2
	exit 2
}
make -j"$jobs" $(sed -n 's/^FUZZ_TARGETS = //p' "$src/tests/fuzz/fuzz.am" |
	tr ' ' '\n' | sed 's|^|tests/fuzz/fuzz_|') >>"$tmp/build.log" 2>&1 || {
	tail -n 30 "$tmp/build.log" >&2
	echo "ci.sh: the clang fuzzing build failed" >&2
	exit 2
}
echo "fuzz: clang build in $(($(date +%s) - start)) s; ${seconds} s per target"
rc=0
make fuzz FUZZ_SECONDS="$seconds" FUZZ_JOBS="$jobs" FUZZ_SCRATCH="$tmp/scratch" || rc=$?
if [ "$rc" -ne 0 ]; then
	# Keep the findings: the crashing inputs and logs are worth more than the disk.
	keep=${TMPDIR:-/tmp}/regs-fuzz-findings.$$
	mkdir -p "$keep" && cp -r "$tmp/scratch/." "$keep/" 2>/dev/null || true
	echo "ci.sh: findings kept in $keep (artifacts/ holds each crashing input)" >&2
fi
exit "$rc"
