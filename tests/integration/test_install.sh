#!/bin/sh
# TAP: make install treats /etc/regs/regs.conf as a conffile (issue 10, "Installing over an
# existing site"): installed where none exists, never overwritten; the example is always in
# the doc directory; make uninstall keeps a file the site changed.
# Env: REGS_BUILDDIR (default: the tree this script is in), MAKE.
here=$(cd "$(dirname "$0")" && pwd)
B=${REGS_BUILDDIR:-$here/../..}
MAKE=${MAKE:-make}

TAP_NAME=install
. "$here/tap.sh"

echo "1..6"

D=$T/root
conf_of() { find "$D" -path '*/regs/regs.conf' -not -path '*/doc/*' | head -n 1; }
install_into() { # log
	# Only the configuration's part of install-data (the example, then the hook), so
	# that nothing else is rebuilt or installed while other tests run.
	$MAKE -s -C "$B" install-dist_confexampleDATA install-data-hook DESTDIR="$D" >"$1" 2>&1
}

# 1 a first install creates regs.conf, 0600, and the example in the doc directory
if ! install_into "$T/first.log"; then
	notok "first install-data into DESTDIR" "$T/first.log"
else
	conf=$(conf_of)
	example=$(find "$D" -path '*/doc/*/examples/regs.conf' | head -n 1)
	mode=$([ -n "$conf" ] && stat -c %a "$conf")
	if [ -z "$conf" ] || [ -z "$example" ] || [ "$mode" != 600 ]; then
		ls -lR "$D" >"$T/tree" 2>&1
		notok "first install: regs.conf (0600, was '$mode') and the doc example" "$T/tree"
	else
		ok "first install: $conf (0600) and the example $example"
	fi
fi

# 2 test_install_keeps_the_sites_regs_conf: a second install keeps the site's edits
conf=$(conf_of)
if [ -n "$conf" ]; then
	printf '# the site changed this\nlock_threshold = 5\n' >>"$conf"
	cp "$conf" "$T/site.conf"
	if ! install_into "$T/second.log"; then
		notok "second install-data into DESTDIR" "$T/second.log"
	elif ! cmp -s "$conf" "$T/site.conf"; then
		diff "$T/site.conf" "$conf" >"$T/diff" 2>&1
		notok "test_install_keeps_the_sites_regs_conf (the upgrade overwrote it)" "$T/diff"
	elif ! grep -q "keeping" "$T/second.log"; then
		notok "test_install_keeps_the_sites_regs_conf: install says it kept the file" \
			"$T/second.log"
	else
		ok "test_install_keeps_the_sites_regs_conf"
	fi
else
	notok "test_install_keeps_the_sites_regs_conf: no regs.conf after the first install"
fi

# 3 uninstall keeps the changed file
if [ -n "$conf" ] && $MAKE -s -C "$B" uninstall-hook DESTDIR="$D" >"$T/un.log" 2>&1 &&
	cmp -s "$conf" "$T/site.conf"; then
	ok "uninstall keeps a regs.conf the site changed"
else
	notok "uninstall keeps a regs.conf the site changed" "$T/un.log"
fi

# 4 uninstall removes an unchanged file (so make distcheck's uninstall check holds)
S=${REGS_SRCDIR:-$here/../..}
if [ -n "$conf" ] && cp "$S/data/regs.conf" "$conf"; then
	$MAKE -s -C "$B" uninstall-hook DESTDIR="$D" >"$T/un2.log" 2>&1
	if [ -e "$conf" ]; then
		notok "uninstall removes an unchanged regs.conf" "$T/un2.log"
	else
		ok "uninstall removes an unchanged regs.conf"
	fi
else
	notok "uninstall removes an unchanged regs.conf: could not restore the example"
fi

# 5 the bus contract goes where D-Bus tools look for interfaces: $(datadir)/dbus-1/interfaces
if $MAKE -s -C "$B" install-dist_dbusinterfacesDATA DESTDIR="$D" >"$T/xml.log" 2>&1; then
	xml=$(find "$D" -path '*/share/dbus-1/interfaces/tw.regs.Daemon1.xml' | head -n 1)
	if [ -n "$xml" ] && cmp -s "$xml" "$S/data/tw.regs.Daemon1.xml"; then
		ok "the bus contract installed as $xml"
	else
		ls -lR "$D" >"$T/tree" 2>&1
		notok "the bus contract in \$(datadir)/dbus-1/interfaces" "$T/tree"
	fi
else
	notok "install the bus contract into DESTDIR" "$T/xml.log"
fi

# 6 the module and its card and QR plugin go where the installed module looks for them
# (pam_regs(8), FILES): the paths compiled into pam_regs.so, under DESTDIR
strings -a "$B/.libs/pam_regs.so" >"$T/strings" 2>&1
plugin=$(grep -m1 '^/.*/cardqr\.so$' "$T/strings")
module=$(grep -m1 '^/.*/pam_regs\.so$' "$T/strings")
if [ -z "$plugin" ] || [ -z "$module" ]; then
	notok "the module names its installed path and its plugin's" "$T/strings"
elif ! $MAKE -s -C "$B" install-pammodLTLIBRARIES install-pkglibLTLIBRARIES \
	install-data-hook install-exec-hook \
	DESTDIR="$D" >"$T/lib.log" 2>&1; then
	notok "install the module and its plugin into DESTDIR" "$T/lib.log"
elif [ ! -f "$D$module" ] || [ ! -f "$D$plugin" ] || [ -e "${D}${plugin%.so}.la" ]; then
	ls -lR "$D" >"$T/tree" 2>&1
	notok "module at $module and plugin at $plugin (no .la beside it)" "$T/tree"
elif [ -n "$(find "$D$plugin" -perm /022)" ]; then
	ls -l "$D$plugin" >"$T/mode" 2>&1
	notok "the installed plugin is not writable by group or others" "$T/mode"
else
	ok "the module installed as $module and its plugin as $plugin"
fi
