#!/bin/sh
# TAP: what the build produces and how regsd treats unsafe configuration.
# Env: REGS_BUILDDIR (default: the tree this script is in).
here=$(cd "$(dirname "$0")" && pwd)
B=${REGS_BUILDDIR:-$here/../..}
MOD=$B/.libs/pam_regs.so
REGSD=$B/regsd
[ -x "$REGSD" ] || REGSD=$B/regsd-testclock

TAP_NAME=build
. "$here/tap.sh"

# A sane configuration: 0600, root-owned, state dir 0700, no key yet.
mkconf() { # file
	mkdir -p "$T/state" && chmod 700 "$T/state"
	cat >"$1" <<EOC
# test configuration
state_dir = $T/state
seal_key_file = $T/state/seal.key
issuer = pam_regs-test
EOC
	chmod 600 "$1"
}

echo "1..8"

# 1 only pam_sm_* are exported
if [ ! -f "$MOD" ]; then
	notok "module built at $MOD"
else
	nm -D --defined-only "$MOD" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' |
		sort -u >"$T/syms"
	grep -v '^pam_sm_' "$T/syms" >"$T/extra"
	if [ -s "$T/extra" ]; then
		notok "module exports only pam_sm_* (extra symbols below)" "$T/extra"
	elif ! grep -qx pam_sm_authenticate "$T/syms" || ! grep -qx pam_sm_acct_mgmt "$T/syms"; then
		notok "module exports pam_sm_authenticate and pam_sm_acct_mgmt" "$T/syms"
	else
		ok "module exports only pam_sm_* ($(tr '\n' ' ' <"$T/syms"))"
	fi
fi

if [ ! -x "$REGSD" ]; then
	for t in "config accepted" "group-writable config" "unknown key" "seal key mode" \
		"symlinked config"; do
		notok "$t: regsd not built at $B/regsd"
	done
	exit 0
fi

# 2 control: the sane file passes --check-config
mkconf "$T/good.conf"
if "$REGSD" -c "$T/good.conf" --check-config >"$T/out" 2>&1; then
	ok "regsd --check-config accepts a 0600 root-owned config"
else
	notok "regsd --check-config accepts a 0600 root-owned config" "$T/out"
fi

# 3 group-writable config refused, naming the file
mkconf "$T/gw.conf"
chmod 620 "$T/gw.conf"
if "$REGSD" -c "$T/gw.conf" --check-config >"$T/out" 2>&1; then
	notok "group-writable config refused (exit 0)" "$T/out"
elif ! grep -qF "$T/gw.conf" "$T/out"; then
	notok "group-writable config refusal names the file" "$T/out"
else
	ok "group-writable config refused, naming the file"
fi

# 4 unknown key refused with file:line
mkconf "$T/unk.conf"
printf 'no_such_key = 1\n' >>"$T/unk.conf" # line 5
if "$REGSD" -c "$T/unk.conf" --check-config >"$T/out" 2>&1; then
	notok "unknown key refused (exit 0)" "$T/out"
elif ! grep -qF "$T/unk.conf:5" "$T/out"; then
	notok "unknown key reported as $T/unk.conf:5" "$T/out"
else
	ok "unknown key refused, reported as file:line"
fi

# 5 seal key readable by others refused
mkconf "$T/key.conf"
head -c 32 /dev/urandom >"$T/state/seal.key"
chmod 644 "$T/state/seal.key"
if "$REGSD" -c "$T/key.conf" --check-config >"$T/out" 2>&1; then
	notok "seal key file with mode 0644 refused (exit 0)" "$T/out"
elif ! grep -qF "$T/state/seal.key" "$T/out"; then
	notok "seal key refusal names the key file" "$T/out"
else
	ok "seal key file with mode 0644 refused, naming it"
fi
rm -f "$T/state/seal.key"

# 6 a config that is a symlink is not followed (O_NOFOLLOW)
mkconf "$T/real.conf"
ln -s "$T/real.conf" "$T/link.conf"
if "$REGSD" -c "$T/link.conf" --check-config >"$T/out" 2>&1; then
	notok "config reached through a symlink refused (exit 0)" "$T/out"
else
	ok "config reached through a symlink refused"
fi

# 7 each link unit links alone with only the units it names (Makefile.am *_NEEDS): the
# module's units (base, ui, card, client) need nothing of regsd's core
if make -s -C "$B" check-link-units >"$T/out" 2>&1; then
	ok "each link unit links with only the units it names ($(grep -c 'links with' "$T/out") units)"
else
	notok "each link unit links with only the units it names" "$T/out"
fi

# 8 the module needs only libc and libpam (issue 12): the card and QR libraries are its
# plugin's (cardqr.so), loaded when a login uses them; the regsd client speaks the D-Bus wire
# format itself (no libdbus, and so no libsystemd, libgcrypt, liblzma... behind it).
if [ ! -f "$MOD" ]; then
	notok "module needs only libc and libpam: module built at $MOD"
else
	readelf -d "$MOD" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$T/needed"
	: >"$T/extra"
	: >"$T/notes"
	while read -r lib; do
		case $lib in
		libc.so.* | libpam.so.* | libdl.so.*) ;; # libdl: glibc before 2.34 (dlopen)
		*) echo "$lib" >>"$T/extra" ;;
		esac
	done <"$T/needed"
	sed 's/^/# /' "$T/notes"
	if [ -s "$T/extra" ]; then
		notok "module needs only libc and libpam (DT_NEEDED beyond them below)" "$T/extra"
	elif ! grep -q '^libpam' "$T/needed"; then
		notok "module's DT_NEEDED read by readelf" "$T/needed"
	else
		ok "module needs only libc and libpam ($(tr '\n' ' ' <"$T/needed"))"
	fi
fi

exit 0
