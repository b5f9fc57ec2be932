# bench/otp.sh: the OTP part of bench/run, sourced by it (not run alone): whole PAM
# transactions of pam_regs against pam_google_authenticator and pam_oath, in process, in a
# fresh process per login and from 1-8 concurrent clients; regsd's throughput and memory; the
# tables and the ratios pam_regs / best anchor against issue 12's targets.
# Uses bench/run's W, BUS_ADDR, SIZES, LARGEST, MODULE_ENV, SSHD_LIBS, the *_SO and program paths,
# log, fmt_ms, fmt_n, start_dbus, start_regsd, stop_regsd; the rounds are bench/pamrounds.sh's.

ROUNDS=5       # in-process rounds per N, each running pam_regs, google, oath in turn
FRESH_ROUNDS=4 # fresh-process rounds per N and kind of process (pam_permit, pam_regs, google...)
CL_TOTAL=800   # logins per concurrency round, split evenly over its clients
CLIENTS=(1 2 4 8)

# Logins per round and tool (pam_regs: regs_count in bench/pamrounds.sh). pam_oath rewrites its
# whole usersfile per login: fewer at large N.
ga_count() { if [ "$1" -le 1000 ]; then echo 120; else echo 200; fi; }
oath_count() { if [ "$1" -le 1000 ]; then echo 108; elif [ "$1" -le 100000 ]; then echo 60; else echo 12; fi; }
fresh_count() { if [ "$1" -le 1000 ]; then echo 25; else echo 50; fi; }

cp "$W/passwd" "$W/passwd.fresh" # rewritten per fresh-process login (pambench --passwd)
RSS_ROWS=()
. "$SRC/bench/pamrounds.sh"

# rss_snapshot LABEL: regsd's memory now, a row of the memory table.
rss_snapshot() {
	RSS_ROWS+=("$(awk -v l="$1" '/^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 } /^RssFile/ { f = $2 }
		/^VmHWM/ { h = $2 } END { printf "%-50s | %7.1f | %7.1f | %7.1f | %7.1f", l, r / 1024,
		a / 1024, f / 1024, h / 1024 }' "/proc/$REGSD_PID/status")")
}

# populate_to N: grows the three tools' accounts to N (regsd stopped meanwhile).
HAVE=0
populate_to() {
	local n=$1 t
	stop_regsd
	log "populating accounts $((HAVE + 1))..$n: pam_regs store, oath usersfile, google files"
	t=$(date +%s.%N)
	"$POPULATE" regs "$W/state" "$W/state/seal.key" $((HAVE + 1)) "$n"
	"$POPULATE" oath "$W/users.oath" $((HAVE + 1)) "$n"
	"$POPULATE" ga "$W/ga" $((HAVE + 1)) "$n"
	"$POPULATE" passwd "$W/passwd.ga" $((HAVE + 1)) "$n" "$W/home"
	HAVE=$n
	log "$(fmt_n "$n") accounts of each tool ($(awk -v a="$t" -v b="$(date +%s.%N)" \
		'BEGIN { printf "%.1f", b - a }') s)"
	start_regsd
}

# in_process N: ROUNDS rounds, each pam_regs, google, oath in turn, so that drift hits all.
in_process() {
	local n=$1 r
	for r in $(seq "$ROUNDS"); do
		seq_round "in:regs:$n" regs in "$n" "$(regs_count "$n")" 10
		seq_round "in:ga:$n" ga in "$n" "$(ga_count "$n")" 3
		seq_round "in:oath:$n" oath in "$n" "$(oath_count "$n")" $([ "$n" -le 100000 ] && echo 2 || echo 1)
	done
	local tool
	for tool in regs ga oath; do summarize "in:$tool:$n"; done
}

# fresh_process N: per kind of process, FRESH_ROUNDS rounds of pam_permit, pam_regs, google
# (and pam_oath at 1,000 accounts: beyond, its usersfile rewrite is all one would see).
fresh_process() {
	local n=$1 mode r tool tools=(permit regs ga)
	[ "$n" -le 1000 ] && tools+=(oath)
	for mode in fresh-bare fresh-sshd; do
		for r in $(seq "$FRESH_ROUNDS"); do
			for tool in "${tools[@]}"; do
				seq_round "$mode:$tool:$n" "$tool" "$mode" "$n" "$(fresh_count "$n")" 3
			done
		done
		for tool in "${tools[@]}"; do summarize "$mode:$tool:$n"; done
	done
}

concurrency() {
	local n=$1 c
	for c in "${CLIENTS[@]}"; do
		clients_round regs "$n" "$c"
		clients_round ga "$n" "$c"
	done
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
start_dbus
log "private bus at $W/bus (dbus-daemon pid $DBUS_PID)"
for n in "${SIZES[@]}"; do
	populate_to "$n"
	in_process "$n"
	rss_snapshot "$(fmt_n "$n") accounts, after the in-process logins"
	fresh_process "$n"
	if [ "$n" -ge 100000 ]; then
		concurrency "$n"
		rss_snapshot "$(fmt_n "$n") accounts, after the concurrency rounds"
	fi
done

# regsd throughput alone: 1, 2, 4, 8 client processes with one connection each (the client's own
# choice, as the module's: the direct socket), then pam_regs' per-login pattern (new connection +
# GetAccount + VerifyOtp) with 1 and 8, then kept connections through the bus with 1 and 8.
# Every round makes the same number of calls in total, split over its clients.
DL_TOTAL=4000
DL_PAM_TOTAL=2000
dl_need() { echo $((6 * DL_TOTAL + 2 * DL_PAM_TOTAL)); }
avail=$((LARGEST - $(cat "$W/used.regs" 2>/dev/null | wc -l)))
if [ "$(dl_need)" -gt "$avail" ]; then
	# Too few unused accounts: every account can log in again in the next TOTP step.
	wait_s=$((31 - $(date +%s) % 30))
	log "throughput: waiting ${wait_s} s for the next TOTP step to reuse accounts"
	sleep "$wait_s"
	rm -f "$W/used.regs"
	while [ "$(dl_need)" -gt "$LARGEST" ]; do
		DL_TOTAL=$((DL_TOTAL / 2)) DL_PAM_TOTAL=$((DL_PAM_TOTAL / 2))
	done
fi
: >"$W/dbusload.out"
for round in 1:$DL_TOTAL 2:$DL_TOTAL 4:$DL_TOTAL 8:$DL_TOTAL pam1:$DL_PAM_TOTAL pam8:$DL_PAM_TOTAL \
	bus1:$DL_TOTAL bus8:$DL_TOTAL; do
	clients=${round%%:*} total=${round#*:} extra=
	case "$clients" in
	pam*) clients=${clients#pam} extra=--pam-pattern ;;
	bus*) clients=${clients#bus} extra=--bus ;;
	esac
	log "regsd throughput: $clients client(s) $extra, $total calls over $LARGEST accounts"
	if ! env -u DBUS_SESSION_BUS_ADDRESS DBUS_SYSTEM_BUS_ADDRESS="$BUS_ADDR" \
		"$DBUSLOAD" --users "$LARGEST" --calls $((total / clients)) --clients "$clients" \
		$extra --used "$W/used.regs" --rng-seed "$clients$total" \
		>>"$W/dbusload.out" 2>"$W/dbusload.err"; then
		FAILED=1
		cat "$W/dbusload.err" >&2
	fi
done
cat "$W/dbusload.out" >>"$W/results.txt"
rss_snapshot "$(fmt_n "$LARGEST") accounts, after the bus throughput rounds"
DB_MB=$(du -m "$W/state/data.mdb" | cut -f1)
stop_regsd

. "$SRC/bench/otp-report.sh"
