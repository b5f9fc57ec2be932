# bench/fleet-report.sh: the table of bench/run --fleet, sourced by bench/fleet.sh after the
# measurements (its P50, P99, CNT, FAILS, ROUND_P50, $W/fleet/cl.TOOL.N): latency in process per
# store, logins/s with 8 clients over 1 and 2 hosts, and the figures against issue 13's targets.

TARGET_P50_US=2000 # p50 <= 2 ms with PostgreSQL
TARGET_FLAT=1.25   # "flat in N": p50 at the largest N within 25% of p50 at 1,000 (our reading)
TARGET_LPS=2000    # >= 2,000 logins/s over 2 hosts

# stats FILE COLUMN: "median min max" of a column of numbers.
stats() {
	cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END { if (!NR) exit;
		printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# round_range KEY: "min-max ms" of the rounds' p50.
round_range() {
	tr ' ' '\n' <<<"${ROUND_P50[$1]:-}" | grep . | sort -n |
		awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.2f-%.2f ms", lo / 1000, hi / 1000 }'
}

# in_cell KEY: "p50 / p99 (logins)", or FAILED.
in_cell() {
	local k=$1 f=${FAILS[$1]:-0}
	if [ "$f" = FAILED ] || [ -z "${P50[$k]:-}" ]; then echo FAILED; return; fi
	printf '%s / %s (%s%s)' "$(fmt_ms "${P50[$k]}")" "$(fmt_ms "${P99[$k]}")" "${CNT[$k]:-?}" \
		"$([ "$f" != 0 ] && echo ", $f failed")"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }

in_row() { # LABEL KEY [LMDB_KEY]
	local lm=-
	[ -n "${3:-}" ] && lm=$(in_cell "$3")
	printf '%-28s | %-26s | %-15s | %-26s | %s\n' "$1" "$(in_cell "$2")" "$(round_range "$2")" \
		"$lm" "$([ -n "${3:-}" ] && ratio "${P50[$2]:-}" "${P50[$3]:-}" || echo -)"
}

cl_row() { # LABEL TOOL
	local f=$W/fleet/cl.$2.$LARGEST lps p50 p99
	[ -s "$f" ] || { printf '%-46s | FAILED\n' "$1"; return; }
	read -r -a lps <<<"$(stats "$f" 1)"
	read -r -a p50 <<<"$(stats "$f" 2)"
	read -r -a p99 <<<"$(stats "$f" 3)"
	printf '%-46s | %-19s | %-9s | %s\n' "$1" "${lps[0]} (${lps[1]}-${lps[2]})" \
		"$(fmt_ms "${p50[0]}")" "$(fmt_ms "${p99[0]}")"
	LPS[$2]=${lps[0]}
}
declare -A LPS

MET=0 TARGETS=0
target_row() { # FIGURE VALUE_TEXT TARGET_TEXT RATIO MET
	TARGETS=$((TARGETS + 1))
	[ "$5" = yes ] && MET=$((MET + 1))
	printf '%-52s | %-10s | %-17s | %-5s | %s\n' "$1" "$2" "$3" "$4" "$5"
}

targets() {
	local n k r t label first=${P50[in:pg:1000]:-} last=${P50[in:pg:$LARGEST]:-}
	printf '%-52s | %-10s | %-17s | %-5s | %s\n' figure value "target (issue 13)" ratio met
	echo "-----------------------------------------------------+------------+-------------------+-------+----"
	for k in "pg:1000:" "pg:$LARGEST:" "pgsync:$LARGEST: + sync standby"; do
		IFS=: read -r t n label <<<"$k"
		r=${P50[in:$t:$n]:-}
		target_row "p50 in process, PostgreSQL$label, $(fmt_n "$n")" \
			"$([ -n "$r" ] && fmt_ms "$r" || echo FAILED)" "<= 2 ms" "$(ratio "$r" "$TARGET_P50_US")" \
			"$(yes_if "${r:-1e9} <= $TARGET_P50_US")"
	done
	r=$(ratio "$last" "$first")
	target_row "p50 flat in N: $(fmt_n "$LARGEST") / 1,000 accounts" "$r" "<= $TARGET_FLAT (flat)" "$r" \
		"$(yes_if "${last:-1e9} <= ${first:-0} * $TARGET_FLAT")"
	for k in pg2 pg2sync; do
		r=${LPS[$k]:-}
		target_row "logins/s, 8 clients over 2 hosts$([ "$k" = pg2sync ] && echo ", sync standby")" \
			"${r:-FAILED}" ">= $(fmt_n "$TARGET_LPS")" "$(ratio "$r" "$TARGET_LPS")" \
			"$(yes_if "${r:-0} >= $TARGET_LPS")"
	done
}

{
	run_header "pam_regs fleet store benchmark (issue 13)" "work dir: $W"
	echo "PostgreSQL $PG_VERSION as nobody in the work dir, Unix socket only ($PG_SETTINGS);"
	echo "  database at the end: $PG_DB_MB MiB (LMDB data.mdb: $LMDB_MB MiB); bulk load through store_pg.h,"
	echo "  10,000 accounts per commit: $(for n in "${FLEET_SIZES[@]}"; do printf '%s in %s s; ' "$(fmt_n "$n")" "${PG_LOAD_S[$n]}"; done)"
	echo "hosts: a, b (store = postgresql, one connection string, seal key and database) and lmdb"
	echo "  (store = lmdb); each a private bus, the production regsd and its direct socket"
	echo
	echo "Whole PAM transaction in process (pam_start + pam_authenticate + pam_end), pam_regs otp,"
	echo "distinct random users, $ROUNDS rounds interleaved postgresql / lmdb: p50 / p99 (logins timed),"
	echo "the range of the rounds' p50, and p50 postgresql / lmdb"
	printf '%-28s | %-26s | %-15s | %-26s | %s\n' accounts "store = postgresql (host a)" \
		"round p50s" "store = lmdb" "pg/lmdb"
	echo "-----------------------------+----------------------------+-----------------+----------------------------+--------"
	for n in "${FLEET_SIZES[@]}"; do in_row "$(fmt_n "$n")" "in:pg:$n" "in:lmdb:$n"; done
	in_row "$(fmt_n "$LARGEST"), sync standby" "in:pgsync:$LARGEST"
	echo
	echo "$CL_CLIENTS concurrent clients, $CL_TOTAL whole in-process transactions per round, $CL_ROUNDS rounds, $(fmt_n "$LARGEST")"
	echo "accounts: logins/s = all logins / span, median (min-max over rounds); p50 / p99 per login,"
	echo "median over rounds. 2 hosts: clients 0, 2, 4, 6 on host a, 1, 3, 5, 7 on host b"
	printf '%-46s | %-19s | %-9s | %s\n' setup "logins/s" p50 p99
	echo "-----------------------------------------------+---------------------+-----------+----------"
	cl_row "2 hosts x 4 clients, PostgreSQL" pg2
	cl_row "2 hosts x 4 clients, PostgreSQL + sync standby" pg2sync
	cl_row "1 host x 8 clients, PostgreSQL" pg1
	cl_row "1 host x 8 clients, LMDB" lmdb
	echo
	echo "Against issue 13's targets (ratio = value / target; flat in N is our reading: within 25%)"
	targets
	echo "targets met: $MET of $TARGETS"
} >"$W/table.txt"
print_table
exit 0
