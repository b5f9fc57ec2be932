# bench/fleet.sh: the fleet store part of bench/run (bench/run --fleet), sourced by it (not run
# alone): pam_regs with store = postgresql next to store = lmdb, whole PAM transactions in process
# at 1,000 and the largest N, and logins/s with 8 clients over 2 regsd hosts sharing one
# PostgreSQL (also with a synchronous standby), against issue 13's targets.
# Uses bench/run's W, SIZES, LARGEST, the program paths, log, fmt_ms, fmt_n, stop_pid,
# write_regs_conf, write_bus_conf, start_dbus, start_regsd; the rounds are bench/pamrounds.sh's.
#
# The hosts: "a" and "b" (store = postgresql, the same connection string, seal key file and
# PostgreSQL, host_name a / b) and "lmdb" (store = lmdb); each its own directory $W/HOST with a
# private bus, a production regsd and its direct socket $W/HOST/regsd.sock, which the drivers
# pick with REGS_DIRECT_SOCKET. PostgreSQL 15 runs as nobody in $W/pg (Unix socket only, fsync
# and synchronous_commit on, as installed), on the same disk as the LMDB; the standby in $W/pgs.

ROUNDS=5    # in-process rounds per N, each store = postgresql, then store = lmdb
CL_ROUNDS=5 # concurrency rounds, each 2 hosts, 1 host on PostgreSQL, 1 host on LMDB
CL_TOTAL=800
CL_CLIENTS=8
PG_BIN=${BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=5432 # only names the socket file: no TCP (listen_addresses = '')
AS_NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
SEAL_KEY=$W/seal.key
CONNINFO="host=$W/pg port=$PG_PORT user=regs dbname=regs"
[ "$LARGEST" -ge 100000 ] || { echo "bench/run: --fleet needs --max 100000 or more" >&2; exit 2; }
FLEET_SIZES=(1000 "$LARGEST")
PG_TOOLS="pg pg1 pg2 pgsync pg2sync" # the drivers' names (PAM services) on the shared store

. "$SRC/bench/pamrounds.sh"
mkdir -p "$W/fleet"
for t in $PG_TOOLS lmdb; do cp "$W/pam.d/regs" "$W/pam.d/$t"; done
# Every driver on the shared store draws from one used-users file (a code is good once fleet-wide).
used_file() { case " $PG_TOOLS " in *" $1 "*) echo "$W/used.pg" ;; *) echo "$W/used.$1" ;; esac; }
tool_env() {
	local host=a
	[ "$1" = lmdb ] && host=lmdb
	TOOL_ENV=(DBUS_SYSTEM_BUS_ADDRESS="unix:path=$W/$host/bus"
		REGS_DIRECT_SOCKET="$W/$host/regsd.sock")
}

# ------------------------------------------------------------------ PostgreSQL
as_pg() { (cd "$W" && "${AS_NOBODY[@]}" "$PG_BIN/$1" "${@:2}"); } # PROGRAM ARGS: as nobody
psql_at() { as_pg psql -h "$1" -p "$PG_PORT" -U regs -d regs -Atq -v ON_ERROR_STOP=1 -c "$2"; }
PG_DIRS=()

# pg_start DIR: a server of DIR/data with its socket in DIR.
pg_start() {
	as_pg pg_ctl -D "$1/data" -l "$1/log" -o "-k $1 -p $PG_PORT -c listen_addresses=''" -w start \
		>/dev/null || { tail -20 "$1/log" >&2; echo "bench/run: PostgreSQL in $1 did not start" >&2; exit 1; }
	PG_DIRS+=("$1")
}

pg_primary() {
	install -d -o nobody -g nogroup -m 700 "$W/pg"
	as_pg initdb -D "$W/pg/data" -A trust -U regs --no-sync >"$W/pg/initdb.log" ||
		{ cat "$W/pg/initdb.log" >&2; exit 1; }
	pg_start "$W/pg"
	as_pg createdb -h "$W/pg" -p "$PG_PORT" -U regs regs
	PG_VERSION=$(psql_at "$W/pg" "SELECT current_setting('server_version')")
	PG_SETTINGS=$(psql_at "$W/pg" "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name)
		FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method',
		'shared_buffers', 'full_page_writes')")
	log "PostgreSQL $PG_VERSION in $W/pg (socket only; $PG_SETTINGS)"
}

# pg_sync on|off: the primary waits for the standby's flush on every commit, or not.
pg_sync() {
	local names='' want=async i
	[ "$1" = on ] && names=fbstandby want=sync
	psql_at "$W/pg" "ALTER SYSTEM SET synchronous_standby_names = '$names'" &&
		psql_at "$W/pg" "SELECT pg_reload_conf()" >/dev/null
	for i in $(seq 100); do
		[ "$(psql_at "$W/pg" "SELECT sync_state FROM pg_stat_replication
			WHERE application_name = 'fbstandby'")" = "$want" ] && return 0
		sleep 0.1
	done
	echo "bench/run: the standby did not become $want" >&2
	exit 1
}

# pg_standby: a streaming standby of the primary (pg_basebackup -R -X stream), synchronous.
pg_standby() {
	install -d -o nobody -g nogroup -m 700 "$W/pgs"
	as_pg pg_basebackup -h "$W/pg" -p "$PG_PORT" -U regs -D "$W/pgs/data" -R -X stream -c fast
	echo "primary_conninfo = 'host=$W/pg port=$PG_PORT user=regs application_name=fbstandby'" \
		>>"$W/pgs/data/postgresql.auto.conf"
	pg_start "$W/pgs"
	pg_sync on
	log "synchronous standby in $W/pgs ($(du -sm "$W/pgs/data" | cut -f1) MiB copied)"
}

# ------------------------------------------------------------------ the hosts
declare -A HOST_DBUS HOST_REGSD
host_setup() { # NAME STORE_LINES
	mkdir -p "$W/$1"
	mkdir -m 700 "$W/$1/state"
	write_bus_conf "$W/$1"
	write_regs_conf "$W/$1" "$SEAL_KEY"
	printf '# bench/fleet.sh\ndirect_socket = %s\n%s\n' "$W/$1/regsd.sock" "$2" >>"$W/$1/regs.conf"
	start_dbus "$W/$1"
	HOST_DBUS[$1]=$DBUS_PID DBUS_PID=
}
host_start() {
	start_regsd "$W/$1"
	HOST_REGSD[$1]=$REGSD_PID REGSD_PID=
}
host_stop() {
	stop_pid "${HOST_REGSD[$1]:-}"
	HOST_REGSD[$1]=
}
fleet_cleanup() {
	local h d
	for h in "${!HOST_REGSD[@]}"; do host_stop "$h"; done
	for h in "${!HOST_DBUS[@]}"; do stop_pid "${HOST_DBUS[$h]}"; done
	HOST_DBUS=()
	for d in "${PG_DIRS[@]}"; do as_pg pg_ctl -D "$d/data" -m immediate stop >/dev/null 2>&1 || true; done
	PG_DIRS=()
}
HOSTS="a b lmdb"

# fleet_populate N: grows both stores to N accounts (the hosts' regsd stopped meanwhile), then
# VACUUM ANALYZE and CHECKPOINT, so no autovacuum of the bulk load runs in the measurements (as
# the LMDB's one fsync after its load).
HAVE=0
fleet_populate() {
	local n=$1 h t
	for h in $HOSTS; do host_stop "$h"; done
	log "populating accounts $((HAVE + 1))..$n: PostgreSQL (10,000 per commit) and LMDB"
	t=$(date +%s.%N)
	"$POPULATE" regs-pg "$CONNINFO" "$SEAL_KEY" $((HAVE + 1)) "$n"
	PG_LOAD_S[$n]=$(secs_since "$t")
	psql_at "$W/pg" "VACUUM ANALYZE regs_kv" && psql_at "$W/pg" "CHECKPOINT"
	t=$(date +%s.%N)
	"$POPULATE" regs "$W/lmdb/state" "$SEAL_KEY" $((HAVE + 1)) "$n"
	log "$(fmt_n "$n") accounts: PostgreSQL ${PG_LOAD_S[$n]} s ($(awk -v a=$((n - HAVE)) \
		-v s="${PG_LOAD_S[$n]}" 'BEGIN { printf "%.0f", a / s }') accounts/s), LMDB $(secs_since "$t") s"
	HAVE=$n
	for h in $HOSTS; do host_start "$h"; done
}
declare -A PG_LOAD_S ROUND_P50 # ROUND_P50[key]: the p50 of each round, for the range

in_process_round() { # KEY TOOL N COUNT
	seq_round "$1" "$2" in "$3" "$4" 10
	ROUND_P50[$1]+="$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<<"$OUT") "
}

# fleet_clients TOOL N [pambench options]: one concurrency round; its figures appended to
# $W/fleet/cl.TOOL.N ("logins/s p50_us p99_us"), for the median and range over rounds.
fleet_clients() {
	local tool=$1 n=$2 key=cl$CL_CLIENTS:$1:$2
	shift 2
	clients_round "$tool" "$n" "$CL_CLIENTS" "$@"
	echo "${CPS[$key]:-0} ${P50[$key]:-0} ${P99[$key]:-0}" >>"$W/fleet/cl.$tool.$n"
}
TWO_HOSTS=(--sockets "$W/a/regsd.sock,$W/b/regsd.sock")

# BENCH_FLEET_PROBE=1: after the measurements (not in the table), one more 8-client round on host
# a under `strace -c -w -f` of its regsd (where its wall time goes), and one with PostgreSQL
# logging each statement's server time (log_min_duration_statement = 0), summed by kind; both to
# $W/fleet/probe-*.txt and stderr.
probe_strace() {
	local spid
	log "probe: strace -c -w -f on host a's regsd (pid ${HOST_REGSD[a]}) over one 8-client round"
	strace -c -w -f -p "${HOST_REGSD[a]}" -o "$W/fleet/probe-strace.txt" &
	spid=$!
	sleep 1
	clients_round pg1 "$LARGEST" "$CL_CLIENTS"
	kill -INT "$spid"
	wait "$spid" || true
	head -25 "$W/fleet/probe-strace.txt" >&2
}
probe_statements() {
	log "probe: log_min_duration_statement = 0 and pg_stat_wal over one 8-client round"
	psql_at "$W/pg" "ALTER SYSTEM SET log_min_duration_statement = 0" &&
		psql_at "$W/pg" "ALTER SYSTEM SET track_wal_io_timing = on" &&
		psql_at "$W/pg" "SELECT pg_reload_conf(), pg_stat_reset_shared('wal')" >/dev/null
	sleep 0.5
	local from=$(($(wc -l <"$W/pg/log") + 1)) logins=$((CL_TOTAL + 3 * CL_CLIENTS))
	clients_round pg1 "$LARGEST" "$CL_CLIENTS"
	psql_at "$W/pg" "SELECT format('WAL per login: %s records, %s full-page images, %s bytes; %s
		syncs in all (%s per login), %s ms mean per sync', round(wal_records / $logins.0, 1),
		round(wal_fpi / $logins.0, 1), round(wal_bytes / $logins.0), wal_sync,
		round(wal_sync / $logins.0, 2), round((wal_sync_time / greatest(wal_sync, 1))::numeric,
		2)) FROM pg_stat_wal" >"$W/fleet/probe-wal.txt"
	psql_at "$W/pg" "ALTER SYSTEM RESET log_min_duration_statement" &&
		psql_at "$W/pg" "ALTER SYSTEM RESET track_wal_io_timing" &&
		psql_at "$W/pg" "SELECT pg_reload_conf()" >/dev/null
	tail -n +"$from" "$W/pg/log" | awk -v logins="$logins" '
		/duration: [0-9.]+ ms/ {
			match($0, /duration: [0-9.]+ ms/); d = substr($0, RSTART + 10, RLENGTH - 13) + 0
			s = substr($0, RSTART + RLENGTH + 2)
			if (s ~ /^(parse|bind|execute) [a-z_]+:/) { split(s, w, /[ :]/); k = w[1] " " w[2] }
			else if (s ~ /pg_advisory_xact_lock/) k = "BEGIN + batch lock"
			else if (s ~ /^statement: BEGIN ISOLATION/) k = "BEGIN read only"
			else if (s ~ /^statement: (INSERT|DELETE).*COMMIT/) k = "writes + COMMIT"
			else { split(s, w, /[ ;]/); k = w[2] }
			n[k]++; t[k] += d; all += d; cnt++ }
		END { printf "%-22s | %7s | %9s | %s\n", "statement (server side)", "count", "per login", "mean ms"
			for (k in n) printf "%-22s | %7d | %9.2f | %.3f\n", k, n[k], n[k] / logins, t[k] / n[k]
			printf "all: %d statements, %.1f per login, server time %.2f ms per login\n", cnt, cnt / logins, all / logins }' \
		>"$W/fleet/probe-statements.txt"
	cat "$W/fleet/probe-wal.txt" >&2
	cat "$W/fleet/probe-statements.txt" >&2
}
fleet_probe() { probe_strace && probe_statements; }

# ------------------------------------------------------------------ the run
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
pg_primary
host_setup a "store = postgresql
postgresql = $CONNINFO
host_name = a"
host_setup b "store = postgresql
postgresql = $CONNINFO
host_name = b"
host_setup lmdb "store = lmdb"
for n in "${FLEET_SIZES[@]}"; do
	fleet_populate "$n"
	for r in $(seq "$ROUNDS"); do
		in_process_round "in:pg:$n" pg "$n" "$(regs_count "$n")"
		in_process_round "in:lmdb:$n" lmdb "$n" "$(regs_count "$n")"
	done
	summarize "in:pg:$n"
	summarize "in:lmdb:$n"
done
for r in $(seq "$CL_ROUNDS"); do
	fleet_clients pg2 "$LARGEST" "${TWO_HOSTS[@]}"
	fleet_clients pg1 "$LARGEST"
	fleet_clients lmdb "$LARGEST"
done
pg_standby
for r in $(seq "$CL_ROUNDS"); do
	fleet_clients pg2sync "$LARGEST" "${TWO_HOSTS[@]}"
	in_process_round "in:pgsync:$LARGEST" pgsync "$LARGEST" $(($(regs_count "$LARGEST") / 2))
done
summarize "in:pgsync:$LARGEST"
[ "${BENCH_FLEET_PROBE:-0}" != 1 ] || fleet_probe
PG_DB_MB=$(psql_at "$W/pg" "SELECT pg_database_size('regs') / 1048576")
LMDB_MB=$(du -m "$W/lmdb/state/data.mdb" | cut -f1)
for h in $HOSTS; do host_stop "$h"; done

. "$SRC/bench/fleet-report.sh"
