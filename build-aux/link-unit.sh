#!/bin/sh
# Links one convenience library alone into a throw-away shared object, with only the units
# it says it needs and its own libraries, and refuses undefined symbols: a unit that uses
# another it does not name fails here (make check-link-units; tests/integration/test_build.sh).
#   link-unit.sh CC UNIT.la "NEEDED.la ..." "-lfoo ..."
set -eu
cc=$1 unit=$2 needs=$3 libs=$4
archive() { echo ".libs/$(basename "$1" .la).a"; }
out=$(mktemp "${TMPDIR:-/tmp}/link-unit.XXXXXX")
trap 'rm -f "$out"' EXIT
set --
for n in $needs; do set -- "$@" "$(archive "$n")"; done
# clang links its sanitizer runtime into programs only: a shared object built with
# -fsanitize takes the runtime's shared copy, so that its own symbols resolve.
case "$cc" in
*-fsanitize=*) if $cc --version 2>/dev/null | grep -q clang; then set -- "$@" -shared-libsan; fi ;;
esac
# shellcheck disable=SC2086 # $libs is a list of linker flags
$cc -shared -o "$out" -Wl,--whole-archive "$(archive "$unit")" -Wl,--no-whole-archive \
	"$@" $libs -Wl,--no-undefined
echo "$unit links with: ${needs:-(no unit)} ${libs}"
