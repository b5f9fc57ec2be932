#!/bin/sh
# TAP: the systemd unit's sandbox (issue 9, secret hygiene): systemd-analyze's exposure score
# of data/regsd.service is at most 2.0 ("OK"), and the unit verifies clean.
# Env: REGS_BUILDDIR, REGS_SRCDIR (default: the tree this script is in).
here=$(cd "$(dirname "$0")" && pwd)
S=${REGS_SRCDIR:-$here/../..}
B=${REGS_BUILDDIR:-$S}
MAX_EXPOSURE=2.0

TAP_NAME=unit
. "$here/tap.sh"

echo "1..3"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	for i in 1 2 3; do
		ok "unit check $i # SKIP systemd-analyze not installed (Debian package systemd)"
	done
	exit 0
fi

# The unit as installed, its ExecStart pointing at the regsd just built (verify wants it).
REGSD=$B/regsd
[ -x "$REGSD" ] || REGSD=$B/regsd-testclock
sed -e "s|@sbindir@/regsd|$REGSD|g" -e 's|@sysconfdir@|/etc|g' -e 's|@localstatedir@|/var|g' \
	"$S/data/regsd.service.in" >"$T/regsd.service"

# 1 exposure score at most 2.0
systemd-analyze security --offline=true --no-pager "$T/regsd.service" >"$T/security" 2>&1
line=$(grep 'Overall exposure level' "$T/security")
echo "# $line"
score=$(echo "$line" | sed -n 's/.*: \([0-9][0-9]*\.[0-9]\) .*/\1/p')
if [ -z "$score" ]; then
	notok "systemd-analyze security gives an exposure score" "$T/security"
elif awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
	ok "secret_hygiene_unit_exposure_at_most_$MAX_EXPOSURE (regsd.service: $score)"
else
	notok "secret_hygiene_unit_exposure_at_most_$MAX_EXPOSURE (regsd.service: $score)" \
		"$T/security"
fi

# 2 the unit verifies without a warning (an unknown key or system-call group is only a warning).
# verify also loads the installed units that multi-user.target wants (freeradius.service, once
# the single-prompt tests' packages are installed, warns about MemoryLimit=): their warnings
# are about those units, not this one, and are only shown.
systemd-analyze verify --man=no "$T/regsd.service" >"$T/verify.all" 2>&1
vrc=$?
grep -E '^(/lib|/usr/lib|/etc|/run)/systemd/' "$T/verify.all" | sed 's/^/# other unit: /'
grep -vE '^(/lib|/usr/lib|/etc|/run)/systemd/' "$T/verify.all" >"$T/verify"
if [ "$vrc" -eq 0 ] && [ ! -s "$T/verify" ]; then
	ok "systemd-analyze verify: regsd.service is clean"
else
	notok "systemd-analyze verify: regsd.service is clean" "$T/verify"
fi

# 3 what the score does not weigh: no capability at all, no core dump
bset=$(sed -n 's/^CapabilityBoundingSet=//p' "$T/regsd.service")
core=$(sed -n 's/^LimitCORE=//p' "$T/regsd.service")
if grep -q '^CapabilityBoundingSet=$' "$T/regsd.service" && [ "$core" = 0 ]; then
	ok "secret_hygiene_unit_no_capability_no_core_dump"
else
	echo "# CapabilityBoundingSet=$bset LimitCORE=$core"
	notok "secret_hygiene_unit_no_capability_no_core_dump"
fi
exit 0
