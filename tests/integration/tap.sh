# TAP helpers for the shell tests (sourced): a scratch directory $T removed at exit,
# ok NAME, and notok NAME [FILE...] which shows each file as a TAP comment.
T=$(mktemp -d "/tmp/regs-${TAP_NAME:-sh}-test.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/# /' "$f"; done
}
