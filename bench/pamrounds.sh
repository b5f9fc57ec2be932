# bench/pamrounds.sh: the rounds of whole PAM transactions that bench/otp.sh and bench/fleet.sh
# run (sourced, not run alone): the driver's environment, one bench/pambench run, a sequential
# round, a concurrent round, and the percentiles of a key's samples.
# Uses bench/run's W, BUS_ADDR, MODULE_ENV, SSHD_LIBS, the *_SO and program paths, log; the
# caller's CL_TOTAL (logins per concurrent round).

mkdir -p "$W/samples"
declare -A P50 P99 AP50 AP99 CNT FAILS CPS # key "in|fresh-bare|fresh-sshd|cl<C>:tool:N"
RNG=1

# regs_count N: pam_regs' logins per in-process round at N accounts.
regs_count() { if [ "$1" -le 1000 ]; then echo 120; else echo 600; fi; }

# used_file TOOL: the file of the users a tool has logged in this run (each logs in once);
# tool_env TOOL: TOOL_ENV, what its driver adds to the environment (after BENCH_MODULE_ENV).
# bench/fleet.sh redefines both: several tools share a store, and each has its own host.
used_file() { echo "$W/used.$1"; }
tool_env() { TOOL_ENV=(); }

# driver_env TOOL MODE: DENV, the environment of a pambench run. MODE in (in process: only
# google needs its users in NSS), fresh-bare or fresh-sshd (every tool alike: nss_wrapper with a
# one-user passwd rewritten before each login; sshd adds libsystemd and libcrypto).
driver_env() {
	local tool=$1 mode=$2
	DENV=(env -u DBUS_SESSION_BUS_ADDRESS DBUS_SYSTEM_BUS_ADDRESS="$BUS_ADDR" PAM_WRAPPER=1
		PAM_WRAPPER_SERVICE_DIR="$W/pam.d" "${MODULE_ENV[@]}")
	tool_env "$tool"
	DENV+=("${TOOL_ENV[@]}")
	case "$mode:$tool" in
	in:ga)
		DENV+=(LD_PRELOAD="$PAM_WRAPPER_SO:$NSS_WRAPPER_SO" NSS_WRAPPER_PASSWD="$W/passwd.ga"
			NSS_WRAPPER_GROUP="$W/group") ;;
	in:*) DENV+=(LD_PRELOAD="$PAM_WRAPPER_SO") ;;
	fresh-bare:*)
		DENV+=(LD_PRELOAD="$PAM_WRAPPER_SO:$NSS_WRAPPER_SO" NSS_WRAPPER_PASSWD="$W/passwd.fresh"
			NSS_WRAPPER_GROUP="$W/group") ;;
	fresh-sshd:*)
		DENV+=(LD_PRELOAD="$PAM_WRAPPER_SO:$NSS_WRAPPER_SO:$SSHD_LIBS"
			NSS_WRAPPER_PASSWD="$W/passwd.fresh" NSS_WRAPPER_GROUP="$W/group") ;;
	esac
}

# pambench KEY TOOL MODE N [pambench options...]: one run; its RESULT line in OUT.
pambench() {
	local key=$1 tool=$2 mode=$3 n=$4
	shift 4
	driver_env "$tool" "$mode"
	RNG=$((RNG + 1))
	if ! OUT=$("${DENV[@]}" "$PAMBENCH" --service "$tool" --label "$tool" --users "$n" \
		--used "$(used_file "$tool")" --rng-seed "$n$RNG" --codes "$PAMCODES" "$@" \
		2>"$W/pambench.err"); then
		FAILED=1
		FAILS[$key]=FAILED
	fi
	grep -v 'PWRAP_' "$W/pambench.err" | grep -v '^$' | head -5 >&2 || true
	echo "$key $OUT" >>"$W/results.txt"
}

# seq_round KEY TOOL MODE N COUNT WARMUP: sequential logins; samples to $W/samples/KEY.
seq_round() {
	local key=$1 tool=$2 mode=$3 n=$4 count=$5 warmup=$6 extra=() out f
	case "$mode" in fresh-*) extra=(--exec "$PAMONCE" --passwd "$W/passwd.fresh") ;; esac
	[ "$tool" = permit ] && extra+=(--no-code)
	pambench "$key" "$tool" "$mode" "$n" --count "$count" --warmup "$warmup" \
		--samples "$W/samples/$key" "${extra[@]}"
	out=$OUT
	f=$(sed -n 's/.*failures=\([0-9]*\).*/\1/p' <<<"$out")
	[ "${FAILS[$key]:-0}" = FAILED ] || FAILS[$key]=$((${FAILS[$key]:-0} + ${f:-0}))
	log "$key: $count logins: $(sed 's/^RESULT //' <<<"$out")"
}

# pctl FILE COLUMN P: the nearest-rank percentile of a column of a samples file.
pctl() {
	cut -d' ' -f"$2" "$1" | sort -n |
		awk -v p="$3" '{ v[NR] = $1 } END { if (!NR) exit; r = int(p / 100 * NR + 0.999999);
			if (r < 1) r = 1; if (r > NR) r = NR; printf "%.0f\n", v[r] }'
}

# summarize KEY: the percentiles of all its rounds' samples.
summarize() {
	local f=$W/samples/$1
	[ -s "$f" ] || return 0
	P50[$1]=$(pctl "$f" 1 50) P99[$1]=$(pctl "$f" 1 99)
	AP50[$1]=$(pctl "$f" 2 50) AP99[$1]=$(pctl "$f" 2 99)
	CNT[$1]=$(wc -l <"$f")
}

# clients_round TOOL N C [pambench options...]: C processes with CL_TOTAL / C whole transactions
# each.
clients_round() {
	local tool=$1 n=$2 c=$3 key=cl$3:$1:$2 out
	shift 3
	pambench "$key" "$tool" in "$n" --clients "$c" --count $((CL_TOTAL / c)) --warmup 3 "$@"
	out=$OUT
	CPS[$key]=$(sed -n 's/.*calls_per_s=\([0-9]*\).*/\1/p' <<<"$out")
	P50[$key]=$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<<"$out")
	P99[$key]=$(sed -n 's/.* p99_us=\([0-9]*\).*/\1/p' <<<"$out")
	FAILS[$key]=$(sed -n 's/.*failures=\([0-9]*\).*/\1/p' <<<"$out")
	[ -n "${CPS[$key]}" ] || { FAILED=1; FAILS[$key]=FAILED; }
	log "$key: $(sed 's/^RESULT //' <<<"$out")"
}

# run_header TITLE WHERE: a table's first lines: what and when, the machine, the disk (WHERE: "state
# dir: PATH" or the like), the load, /dev/log, and the variant switches when set.
run_header() {
	local mem cpu
	mem=$(awk '/^MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	echo "$1, $(date -u '+%Y-%m-%d %H:%M UTC'), $(($(date +%s) - T0)) s"
	echo "machine: $(nproc) cores ($cpu), ${mem} GiB RAM, $(uname -sr)"
	echo "$2 on $STATE_DEV ($STATE_FS, $STATE_OPTS); 4 KiB O_DSYNC write: ${DSYNC_MS} ms"
	echo "load average (1, 5, 15 min) at the start of the measurements: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "/dev/log: a sink that accepts and drops messages (bench/logsink) for every process; $DEVLOG_NOTE"
	[ -z "${BENCH_REGSD_CONF_EXTRA:-}${BENCH_MODULE_ENV:-}${BENCH_REGS_MODULE_ARGS:-}" ] ||
		echo "variant: BENCH_REGSD_CONF_EXTRA='${BENCH_REGSD_CONF_EXTRA:-}' BENCH_MODULE_ENV='${BENCH_MODULE_ENV:-}' BENCH_REGS_MODULE_ARGS='${BENCH_REGS_MODULE_ARGS:-}'"
}

# print_table: the table to stdout; exit 1 when a measurement failed.
print_table() {
	cat "$W/table.txt"
	if [ "$FAILED" != 0 ]; then
		echo "bench/run: some measurements FAILED (see above)" >&2
		exit 1
	fi
}

yes_if() { if awk "BEGIN { exit !($1) }"; then echo yes; else echo no; fi; } # AWK_CONDITION
