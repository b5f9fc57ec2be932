#!/bin/sh
# Runs libFuzzer targets for a time budget each (make fuzz; tests/fuzz/README.md).
#   run.sh SRCDIR BINDIR SCRATCH SECONDS TARGET...
# Each target fuzzes a scratch copy of tests/fuzz/corpus/TARGET (new inputs and any crashing
# input stay in SCRATCH/TARGET, never in the source tree), FUZZ_JOBS (default 2) at a time.
# Prints one line per target (name, execs, execs/s, cov, corpus) and exits non-zero when any
# target crashed, leaked, timed out or ran out of memory.
set -u
srcdir=$1 bindir=$2 scratch=$3 seconds=$4
shift 4
jobs=${FUZZ_JOBS:-2}

# The longest input worth trying per target: a little above the largest real one.
max_len() {
	case $1 in
	crl | x509 | card | jwks | mobileid) echo 16384 ;;
	config) echo 8192 ;;
	jwt | oidc | strictjson | apdu | mail) echo 4096 ;;
	record | options) echo 1024 ;;
	base32 | otpauth) echo 512 ;;
	resetcode | twid) echo 64 ;;
	*) echo 4096 ;;
	esac
}

dict() {
	case $1 in
	jwt | jwks | oidc | strictjson | mobileid) echo "-dict=$srcdir/tests/fuzz/json.dict" ;;
	config) echo "-dict=$srcdir/tests/fuzz/config.dict" ;;
	wire) echo "-dict=$srcdir/tests/fuzz/wire.dict" ;;
	esac
}

# One target: its log in SCRATCH/T/log, its summary line in SCRATCH/T/summary.
run_one() {
	t=$1
	dir=$scratch/$t
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	cp "$srcdir/tests/fuzz/corpus/$t/"* "$dir/corpus/" 2>/dev/null
	# shellcheck disable=SC2046
	"$bindir/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 $(dict "$t") \
		-artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$dir/log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
	status=ok
	[ "$rc" -eq 0 ] || status="FAILED(rc=$rc)"
	printf '%-12s %10s %8s %6s %12s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
		"${corp:-?}" "$status" >"$dir/summary"
	if [ "$rc" -ne 0 ]; then
		echo "fuzz_$t: FAILED, see $dir/log; the input is in $dir/artifacts:" >&2
		grep -E 'ERROR|SUMMARY|fuzz [a-z]+:' "$dir/log" | head -n 5 >&2
	fi
	return 0 # the verdict is in the summary file
}

mkdir -p "$scratch" || exit 1
running=0
for t in "$@"; do
	run_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		if [ -n "${BASH_VERSION:-}" ]; then
			wait -n # one slot free
			running=$((running - 1))
		else
			wait # POSIX sh: the whole batch
			running=0
		fi
	fi
done
wait
printf '%-12s %10s %8s %6s %12s  %s\n' target execs execs/s cov corpus result
fail=0
for t in "$@"; do
	if [ -f "$scratch/$t/summary" ]; then
		cat "$scratch/$t/summary"
		grep -q ' ok$' "$scratch/$t/summary" || fail=1
	else
		printf '%-12s  no result\n' "$t"
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "fuzz: every target ran for ${seconds}s without a finding"
exit "$fail"
