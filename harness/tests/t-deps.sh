#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The preflight of [deps] (harness/lib/deps.sh) through the real runner: a
# program missing from PATH is named with its Debian package before any
# work, a package the mirror lacks and a package that does not bring its
# program are one-line causes, and a stage names a program the list lacks.
# PATH is a fake one without the program; apt-get is a fake one: nothing
# is installed.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=harness/tests/lib.sh
source "$here/lib.sh"
HARNESS=$(dirname "$here")
unset O KSRC T VMTEST_CHECK_DEPS DEPS_SCOPES DEPS_NO_INSTALL

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# deps NAME ENV...: vmtest.sh deps with ENV, output in $tmp/NAME.out,
# status in RC.  KSRC is set (to a directory deps does not read) so that
# the stock source is not asked for, unless ENV has KSRC=.
deps() {
	local name=$1

	shift
	RC=0
	env O="$tmp/o" KSRC="$tmp" "$@" "$HARNESS/vmtest.sh" deps >"$tmp/$name.out" 2>&1 </dev/null || RC=$?
}

# expect NAME STATUS PATTERN [CASE]: the last run (output $tmp/NAME.out)
# exited STATUS and said PATTERN; CASE names the test case (default NAME).
expect() {
	local name=$1 want=$2 pattern=$3 case=${4:-$1}

	if [ "$RC" -ne "$want" ]; then
		t_fail "$case" "exit status $RC, expected $want"$'\n'"$(cat "$tmp/$name.out")"
	elif ! grep -qE -- "$pattern" "$tmp/$name.out"; then
		t_fail "$case" "no line matching '$pattern'"$'\n'"$(cat "$tmp/$name.out")"
	else
		t_ok "$case"
	fi
}

# The list itself: five or more fields, known scopes and kinds.
bad=$(HARNESS=$HARNESS bash -c 'source "$HARNESS/lib/common.sh"; source "$HARNESS/lib/deps.sh"
	while read -r scope kind name pkg who; do
		[ -n "$scope" ] || continue
		case "$scope:$kind" in
		vmtest:* | tarball:* | check:* | fresh:* | arm64:*) ;;
		*) echo "unknown scope: $scope $kind $name"; continue ;;
		esac
		case "$kind" in cmd | py | pkg | deb | src) ;; *) echo "unknown kind: $scope $kind $name" ;; esac
		[ -n "$pkg" ] && [ -n "$who" ] || echo "no package or caller: $scope $kind $name"
	done <<<"$DEPS_LIST"' 2>&1)
if [ -z "$bad" ]; then
	t_ok "deps: every line of the list has a known scope and kind, a package and a caller"
else
	t_fail "deps: every line of the list has a known scope and kind, a package and a caller" "$bad"
fi

# One fake PATH without a program of each scope: rsync (make vmtest),
# sparse and pyflakes3 (make check), debootstrap (make fresh-check).
fake=$(t_fake_path "$tmp/path" rsync sparse pyflakes3 debootstrap)

# A missing program is named with its package; nothing is installed.
deps deps-names-package PATH="$fake" DEPS_NO_INSTALL=1
expect deps-names-package 1 '^\[deps\] ERROR: missing rsync \(package rsync\)$'
expect deps-names-package 1 '^\[deps\] install them with: sudo apt-get install rsync$' deps-prints-the-install-line

# make check's programs are asked for only with VMTEST_CHECK_DEPS=1.
deps deps-check-scope PATH="$fake" DEPS_NO_INSTALL=1 VMTEST_CHECK_DEPS=1
expect deps-check-scope 1 '^\[deps\] ERROR: missing rsync \(package rsync\), sparse \(package sparse\), pyflakes3 \(package pyflakes3\)$'

# fresh-check's host needs debootstrap (and git), nothing else.
deps deps-fresh-scope PATH="$fake" DEPS_NO_INSTALL=1 DEPS_SCOPES=fresh
expect deps-fresh-scope 1 '^\[deps\] ERROR: missing debootstrap \(package debootstrap\)$'

# As root: a package the mirror lacks, and one that does not bring its
# program, through a fake apt-get first in PATH.
if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$tmp/apt-lacks" "$tmp/apt-noop"
	# shellcheck disable=SC2016 # a script: the quotes are meant
	printf '%s\n' '#!/bin/sh' '[ "$1" = update ] && exit 0' \
		'echo "E: Unable to locate package rsync"' 'exit 100' >"$tmp/apt-lacks/apt-get"
	printf '%s\n' '#!/bin/sh' 'exit 0' >"$tmp/apt-noop/apt-get"
	chmod +x "$tmp/apt-lacks/apt-get" "$tmp/apt-noop/apt-get"
	deps deps-mirror-lacks PATH="$tmp/apt-lacks:$fake"
	expect deps-mirror-lacks 1 '^\[deps\] ERROR: the apt sources have no package rsync: '
	deps deps-still-missing PATH="$tmp/apt-noop:$fake"
	expect deps-still-missing 1 '^\[deps\] ERROR: still missing after apt-get install rsync: rsync \(package rsync\): '
else
	t_ok deps-mirror-lacks "# SKIP needs root"
	t_ok deps-still-missing "# SKIP needs root"
fi

# The stock source at its pinned version (the src kind): a version dpkg
# does not have installed is downloaded and extracted under build/debs/,
# through a fake apt-get whose download gives a made-up .deb; the host's
# own package is not touched.  Only the stock source is asked for
# (DEPS_SCOPES=tarball): the cases do not depend on what else the host has.
v=9.9.9-1~deb12u1
host_pkg=$(dpkg-query -W linux-source-6.12 2>&1 || true)
mkdir -p "$tmp/deb/DEBIAN" "$tmp/deb/usr/src" "$tmp/apt-deb" "$tmp/apt-gone"
printf '%s\n' "Package: linux-source-6.12" "Version: $v" "Architecture: all" \
	"Maintainer: t-deps <t-deps@localhost>" "Description: t-deps" >"$tmp/deb/DEBIAN/control"
echo tarball >"$tmp/deb/usr/src/linux-source-6.12.tar.xz"
dpkg-deb -b "$tmp/deb" "$tmp/linux-source-6.12_${v}_all.deb" >/dev/null
# shellcheck disable=SC2016 # scripts: the quotes are meant
printf '%s\n' '#!/bin/sh' '[ "$1" = update ] && exit 0' \
	"[ \"\$1 \$2\" = 'download linux-source-6.12=$v' ] && cp '$tmp/linux-source-6.12_${v}_all.deb' . && exit 0" \
	'echo "E: not this package: $*"' 'exit 100' >"$tmp/apt-deb/apt-get"
# shellcheck disable=SC2016
printf '%s\n' '#!/bin/sh' '[ "$1" = update ] && exit 0' \
	"echo \"E: Version '$v' for 'linux-source-6.12' was not found\"" 'exit 100' >"$tmp/apt-gone/apt-get"
chmod +x "$tmp/apt-deb/apt-get" "$tmp/apt-gone/apt-get"

deps deps-src-missing KSRC= DEPS_SCOPES=tarball DEBIAN_SRC_VERSION=$v DEPS_NO_INSTALL=1
expect deps-src-missing 1 "^\[deps\] ERROR: missing linux-source-6.12=$v \(package linux-source-6.12=$v\)\$"
expect deps-src-missing 1 "^\[deps\] extract linux-source-6.12=$v under $tmp/o/debs with: DEPS_NO_INSTALL= harness/vmtest.sh deps\$" deps-src-names-the-fetch

deps deps-src-gone KSRC= DEPS_SCOPES=tarball DEBIAN_SRC_VERSION=$v PATH="$tmp/apt-gone:$PATH"
expect deps-src-gone 1 "^\[deps\] ERROR: apt-get download linux-source-6.12=$v failed: E: Version '$v' for 'linux-source-6.12' was not found; the series is based on that version of the stock source: .*apt-cache madison linux-source-6.12.*DEBIAN_SRC_VERSION=V make prepare series"

deps deps-src-extracts KSRC= DEPS_SCOPES=tarball DEBIAN_SRC_VERSION=$v PATH="$tmp/apt-deb:$PATH"
expect deps-src-extracts 0 "^\[deps\] extracted linux-source-6.12=$v under $tmp/o/debs"
got=$(HARNESS=$HARNESS O="$tmp/o" DEBIAN_SRC_VERSION=$v bash -c \
	'source "$HARNESS/lib/common.sh"; debian_tarball; debian_src_version' 2>&1 | tr '\n' ' ')
want="$tmp/o/debs/linux-source-6.12=$v/usr/src/linux-source-6.12.tar.xz $v "
if [ "$got" = "$want" ] && [ "$(cat "$tmp/o/debs/linux-source-6.12=$v/usr/src/linux-source-6.12.tar.xz")" = tarball ]; then
	t_ok deps-src-tarball-is-the-extracted-one
else
	t_fail deps-src-tarball-is-the-extracted-one "debian_tarball, debian_src_version: '$got', expected '$want'"
fi
deps deps-src-present KSRC= DEPS_SCOPES=tarball DEBIAN_SRC_VERSION=$v PATH="$tmp/apt-gone:$PATH"
expect deps-src-present 0 '^\[deps\] all packages present'
if [ "$(dpkg-query -W linux-source-6.12 2>&1 || true)" = "$host_pkg" ]; then
	t_ok deps-src-host-package-untouched
else
	t_fail deps-src-host-package-untouched "dpkg-query -W linux-source-6.12: '$host_pkg' before, '$(dpkg-query -W linux-source-6.12 2>&1 || true)' after"
fi

# A stage names a program that the list does not have (here: one that no
# package has).
RC=0
HARNESS=$HARNESS O="$tmp/o" bash -c 'set -euo pipefail
	source "$HARNESS/lib/common.sh"; source "$HARNESS/lib/deps.sh"
	run_logged config "$O/logs/config-x.log" sh -c "no-such-program-xyz --version"' \
	>"$tmp/stage-names-program.out" 2>&1 || RC=$?
expect stage-names-program 1 '^\[config\] ERROR: no-such-program-xyz not found: it is missing from the list in harness/lib/deps.sh'

t_done
