# bench/otp-report.sh: the table of bench/run's OTP part, sourced by bench/otp.sh after the
# measurements (its P50, P99, AP50, AP99, CNT, FAILS, CPS, RSS_ROWS): latency in process, in a
# fresh process, concurrency, regsd's throughput and memory, and the ratios pam_regs / best
# anchor next to issue 12's targets.

# cell KEY [AUTH]: "p50 / p99 (logins)" of a key, from the whole transaction or (AUTH=1) from
# pam_authenticate alone; "-" when not measured.
cell() {
	local k=$1 p50 p99 f=${FAILS[$1]:-0}
	if [ "${2:-0}" = 1 ]; then p50=${AP50[$k]:-} p99=${AP99[$k]:-}; else p50=${P50[$k]:-} p99=${P99[$k]:-}; fi
	if [ "$f" = FAILED ]; then echo FAILED; return; fi
	[ -n "$p50" ] || { echo -; return; }
	printf '%s / %s (%s%s)' "$(fmt_ms "$p50")" "$(fmt_ms "$p99")" "${CNT[$k]:-?}" \
		"$([ "$f" != 0 ] && echo ", $f FAILED")"
}

# above KEY BASEKEY: "p50 / p99 +x" with x the p50 above the baseline's.
above() {
	local c
	c=$(cell "$1")
	[ -n "${P50[$1]:-}" ] && [ -n "${P50[$2]:-}" ] || { echo "$c"; return; }
	printf '%s %s' "${c% (*}" "$(fmt_delta $((P50[$1] - P50[$2])))"
}

# fmt_delta US: "+1.23 ms" or "-1.23 ms".
fmt_delta() { if [ "$1" -lt 0 ]; then echo "-$(fmt_ms $((-$1)))"; else echo "+$(fmt_ms "$1")"; fi; }

# The best (lowest) anchor latency of KIND:*:N among google and oath: "us name".
best_latency() {
	local kind=$1 n=$2 arr=$3 t v best= name=
	for t in ga oath; do
		eval "v=\${$arr[$kind:$t:$n]:-}"
		[ -n "$v" ] || continue
		if [ -z "$best" ] || [ "$v" -lt "$best" ]; then best=$v name=$t; fi
	done
	echo "$best $name"
}

anchor_name() { case "$1" in ga) echo google ;; oath) echo pam_oath ;; *) echo "$1" ;; esac; }

MET=0 TARGETS=0
# ratio_row FIGURE REGS ANCHOR ANCHOR_NAME KIND TARGET MET: KIND lat (values in us, ratio
# regs/anchor), above (us above a baseline, shown with +), rate (logins/s).
ratio_row() {
	local fig=$1 r=$2 a=$3 an=$4 kind=$5 target=$6 met=$7 rs as ratio
	case "$kind" in
	rate) rs=$r as="$a ($an)" ;;
	above) rs=$(fmt_delta "${r:-0}") as="$(fmt_delta "${a:-0}") ($an)" ;;
	*) rs=$(fmt_ms "$r") as="$(fmt_ms "$a") ($an)" ;;
	esac
	[ -n "$a" ] || as=-
	ratio=$(awk -v r="$r" -v a="$a" 'BEGIN { if (a > 0) printf "%.2f", r / a; else print "-" }')
	[ -n "$r" ] || { rs=FAILED ratio=- met=no; }
	TARGETS=$((TARGETS + 1))
	[ "$met" = yes ] && MET=$((MET + 1))
	printf '%-42s | %-9s | %-20s | %-5s | %-40s | %s\n' "$fig" "$rs" "$as" "$ratio" "$target" "$met"
}

ratios() {
	local n k b ga_v mode c r g first last
	printf '%-42s | %-9s | %-20s | %-5s | %-40s | %s\n' figure pam_regs "best anchor" ratio \
		"target (issue 12)" met
	echo "-------------------------------------------+-----------+----------------------+-------+------------------------------------------+----"
	for n in "${SIZES[@]}"; do
		for k in P50 P99; do
			read -r b g <<<"$(best_latency in "$n" "$k")"
			eval "r=\${$k[in:regs:$n]:-} ga_v=\${$k[in:ga:$n]:-}"
			ratio_row "in process ${k,,}, $(fmt_n "$n") accounts" "$r" "$b" "$(anchor_name "$g")" lat \
				"below google's ($(fmt_ms "${ga_v:-0}"))" "$(yes_if "${r:-1e9} < ${ga_v:-0}")"
		done
		r=${P50[in:regs:$n]:-}
		ratio_row "in process p50, $(fmt_n "$n") accounts" "$r" 600 goal lat "<= 0.6 ms (the goal)" \
			"$(yes_if "${r:-1e9} <= 600")"
	done
	for n in "${SIZES[@]}"; do
		for mode in fresh-bare fresh-sshd; do
			local base=${P50[$mode:permit:$n]:-0} best= bn= t v
			for t in ga oath; do
				v=${P50[$mode:$t:$n]:-}
				[ -n "$v" ] || continue
				if [ -z "$best" ] || [ "$v" -lt "$best" ]; then best=$v bn=$t; fi
			done
			r=${P50[$mode:regs:$n]:-}
			ga_v=${P50[$mode:ga:$n]:-0}
			ratio_row "fresh ${mode#fresh-} p50 over pam_permit, $(fmt_n "$n")" \
				"$([ -n "$r" ] && echo $((r - base)))" "$([ -n "$best" ] && echo $((best - base)))" \
				"$(anchor_name "$bn")" above "within 0.5 ms of google's ($(fmt_delta $((ga_v - base))))" \
				"$(yes_if "${r:-1e9} - $ga_v <= 500")"
		done
	done
	for n in "${SIZES[@]}"; do
		[ -n "${CPS[cl1:regs:$n]:-}${CPS[cl1:ga:$n]:-}" ] || continue
		for c in "${CLIENTS[@]}"; do
			r=${CPS[cl$c:regs:$n]:-} g=${CPS[cl$c:ga:$n]:-}
			ratio_row "logins/s, $c client(s), $(fmt_n "$n") accounts" "$r" "$g" google rate \
				">= google's" "$(yes_if "${r:-0} >= ${g:-1e9}")"
		done
		first=${CPS[cl1:regs:$n]:-0} last=${CPS[cl${CLIENTS[-1]}:regs:$n]:-0}
		ratio_row "logins/s growth 1 -> ${CLIENTS[-1]} clients, $(fmt_n "$n")" "$last" "$first" \
			"pam_regs, 1" rate "grows with clients (ratio > 1)" "$(yes_if "$last > $first")"
	done
}

# in_process_rows AUTH: one row per N of the in-process table (AUTH=1: pam_authenticate alone).
in_process_rows() {
	local n
	for n in "${SIZES[@]}"; do
		printf '%-11s | %-26s | %-26s | %-26s\n' "$(fmt_n "$n")" "$(cell "in:regs:$n" "$1")" \
			"$(cell "in:ga:$n" "$1")" "$(cell "in:oath:$n" "$1")"
	done
}

{
	run_header "pam_regs benchmark" "state dir: $W/state"
	echo
	echo "Whole PAM transaction in process (pam_start + pam_authenticate + pam_end), password-less OTP,"
	echo "distinct random users, $ROUNDS interleaved rounds: p50 / p99 (logins timed)"
	printf '%-11s | %-26s | %-26s | %-26s\n' accounts "pam_regs (regsd, durable)" \
		pam_google_authenticator pam_oath
	echo "------------+----------------------------+----------------------------+---------------------------"
	in_process_rows 0
	echo
	echo "pam_authenticate alone, the same logins (what the old method timed): p50 / p99"
	in_process_rows 1
	echo
	echo "Fresh process per login: fork + exec bench/pamonce (one whole transaction, exit) + waitpid:"
	echo "p50 / p99 and +p50 above pam_permit's. bare: pamonce links libpam and libc only; sshd: the"
	echo "same with libsystemd.so.0 and libcrypto.so.3 LD_PRELOADed, as sshd has them loaded"
	printf '%-9s | %-5s | %-19s | %-27s | %-27s | %-27s\n' accounts kind pam_permit pam_regs \
		pam_google_authenticator pam_oath
	echo "----------+-------+---------------------+-----------------------------+-----------------------------+----------------------------"
	for n in "${SIZES[@]}"; do
		for mode in fresh-bare fresh-sshd; do
			b=$mode:permit:$n
			printf '%-9s | %-5s | %-19s | %-27s | %-27s | %-27s\n' "$(fmt_n "$n")" "${mode#fresh-}" \
				"$(c=$(cell "$b") && echo "${c% (*}")" "$(above "$mode:regs:$n" "$b")" \
				"$(above "$mode:ga:$n" "$b")" "$(above "$mode:oath:$n" "$b")"
		done
	done
	echo
	echo "Concurrent clients: C processes started together, $CL_TOTAL whole in-process transactions in"
	echo "all (distinct users, correct codes): logins/s = all logins / span; p50 / p99 per login"
	printf '%-9s | %-7s | %-8s | %-19s | %-8s | %-19s\n' accounts clients "pam_regs" "p50 / p99" \
		google "p50 / p99"
	echo "----------+---------+----------+---------------------+----------+--------------------"
	for n in "${SIZES[@]}"; do
		for c in "${CLIENTS[@]}"; do
			[ -n "${CPS[cl$c:regs:$n]:-}${CPS[cl$c:ga:$n]:-}" ] || continue
			printf '%-9s | %-7s | %-8s | %-19s | %-8s | %-19s\n' "$(fmt_n "$n")" "$c" \
				"${CPS[cl$c:regs:$n]:-FAILED}" \
				"$(fmt_ms "${P50[cl$c:regs:$n]:-0}") / $(fmt_ms "${P99[cl$c:regs:$n]:-0}")" \
				"${CPS[cl$c:ga:$n]:-FAILED}" \
				"$(fmt_ms "${P50[cl$c:ga:$n]:-0}") / $(fmt_ms "${P99[cl$c:ga:$n]:-0}")"
		done
	done
	echo
	echo "regsd throughput (bench/dbusload): correct codes, distinct users, $(fmt_n "$LARGEST") accounts;"
	echo "the client's own connection (as the module's: the direct socket), and the bus for comparison"
	printf '%-38s | %-7s | %-9s | %-8s | %-9s | %-9s\n' "per call" clients calls "calls/s" \
		"p50/call" "p99/call"
	echo "---------------------------------------+---------+-----------+----------+-----------+----------"
	while read -r _ pat c calls fails cps p50 p99; do
		case "${pat#pattern=}" in
		pam) pat="new connection+GetAccount+VerifyOtp" ;;
		verify-bus) pat="VerifyOtp, kept connection, bus" ;;
		*) pat="VerifyOtp on a kept connection" ;;
		esac
		printf '%-38s | %-7s | %-9s | %-8s | %-9s | %-9s\n' "$pat" "${c#clients=}" \
			"${calls#calls=}$([ "${fails#failures=}" != 0 ] && echo " (${fails#failures=} FAILED)")" \
			"${cps#calls_per_s=}" "$(fmt_ms "${p50#p50_us=}")" "$(fmt_ms "${p99#p99_us=}")"
	done <"$W/dbusload.out"
	echo
	echo "regsd memory (MiB; RssFile: mapped LMDB pages; data.mdb at the end: $DB_MB MiB)"
	printf '%-50s | %-7s | %-7s | %-7s | %-7s\n' when VmRSS RssAnon RssFile VmHWM
	echo "---------------------------------------------------+---------+---------+---------+--------"
	printf '%s\n' "${RSS_ROWS[@]}"
	echo
	echo "pam_regs / best anchor: latency (below 1 is better), fresh process over pam_permit, logins/s"
	echo "(above 1 is better); the target each figure is held to"
	ratios
	echo "targets met: $MET of $TARGETS"
} >"$W/table.txt"
print_table
