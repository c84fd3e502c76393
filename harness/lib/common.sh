# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: paths and settings, output helpers (say, die,
# run_logged), where each tree and kernel build lives.  Expects HARNESS.

# The settings are used by the other files of harness/lib/.
# shellcheck disable=SC2034

TOP=$(dirname "$HARNESS")
O=${O:-$TOP/build}
mkdir -p "$O"
O=$(cd "$O" && pwd)
JOBS=${JOBS:-$(nproc)}
T=${T:-}
ACCEL=${ACCEL:-}
GUEST_INIT=${GUEST_INIT:-$HARNESS/guest/init}
# The stock source: Debian's linux-source-6.12 at the version the series
# was exported on.  The cover letter's base-commit: is the import of this
# version with base/ applied, so another version is another base, and the
# mirror moves on (6.12.117 was followed by 6.12.118): the version is
# pinned, and taken from the installed package when dpkg has this version,
# else from the .deb that [deps] downloads and extracts under $DEBS.  To
# move the series: DEBIAN_SRC_VERSION=V make prepare series, then set V
# here and commit patches/.  DEBIAN_SRC_VERSION=installed takes whatever
# version dpkg has installed (and installs the package if it is missing).
DEBIAN_SRC_PKG=linux-source-6.12
DEBIAN_SRC_VERSION=${DEBIAN_SRC_VERSION:-6.12.117-1~deb12u1}

TREES=$O/trees
# Where the patches come from (overridable for the harness's own tests).
BASE_DIR=${BASE_DIR:-$TOP/base}
PATCHES_DIR=${PATCHES_DIR:-$TOP/patches}
LOGS=$O/logs
STAMPS=$O/stamps
# Every commit the harness makes in its own trees has this identity, and
# the imported tree and the before tree also fixed dates: the same source
# gives the same commit ids on every machine, whatever git's configuration
# (or none), so that the cover letter's base-commit: stays true.  Authors
# of the base patch and of the series come from the patches.
export GIT_AUTHOR_NAME=vmtest GIT_AUTHOR_EMAIL=vmtest@localhost
export GIT_COMMITTER_NAME=vmtest GIT_COMMITTER_EMAIL=vmtest@localhost
FIXED_DATE="2019-09-18T10:48:30+0000"

START=$(date +%s)

# The version of the source package that dpkg has installed, or nothing.
# Asked when needed, never when this file is sourced: [deps] may install
# the package later in the same run.
# shellcheck disable=SC2016 # dpkg-query's ${Status}: the quotes are meant
debian_src_installed() {
	dpkg-query -W -f='${Status} ${Version}\n' "$DEBIAN_SRC_PKG" 2>/dev/null |
		awk '$3 == "installed" {print $4}'
}

# The version of the source the harness imports.
debian_src_version() {
	if [ "$DEBIAN_SRC_VERSION" = installed ]; then
		debian_src_installed
	else
		echo "$DEBIAN_SRC_VERSION"
	fi
}

# The tarball of that version: the installed package's (if dpkg has that
# version and the file is there), or the one extracted under $DEBS.
debian_tarball() {
	if [ "$DEBIAN_SRC_VERSION" = installed ] ||
	   { [ "$(debian_src_installed)" = "$DEBIAN_SRC_VERSION" ] &&
	     [ -f "/usr/src/$DEBIAN_SRC_PKG.tar.xz" ]; }; then
		echo "/usr/src/$DEBIAN_SRC_PKG.tar.xz"
	else
		echo "$DEBS/$DEBIAN_SRC_PKG=$DEBIAN_SRC_VERSION/usr/src/$DEBIAN_SRC_PKG.tar.xz"
	fi
}

# --------------------------------------------------------------------------
# The guest's architecture and the kernel variant.  All that differs is
# data, read here and nowhere else:
#   ARCH=x86_64|arm64  harness/config/arch/$ARCH.sh (plain assignments: make
#                      variables, kernel image, fragments, QEMU, console,
#                      packages) and harness/config/arch/$ARCH.config
#   DEBUG=1            the debug variant of VARIANT_* below
# Each (arch, variant) builds its kernels in its own directory,
# build/kbuild/<which>$ARCH_SUFFIX$VARIANT_SUFFIX (kbuild_name), with its
# own .config, stamp and logs: the default x86_64 kernels stay in
# build/kbuild/after and build/kbuild/before.
ARCH=${ARCH:-x86_64}
# Where [deps] extracts packages that cannot be installed (deb kind).
DEBS=$O/debs
if [ ! -f "$HARNESS/config/arch/$ARCH.sh" ]; then
	printf '[vmtest] ERROR: ARCH=%s: no harness/config/arch/%s.sh; use one of: %s\n' \
		"$ARCH" "$ARCH" "$(for f in "$HARNESS"/config/arch/*.sh; do f=${f##*/}; printf '%s ' "${f%.sh}"; done)" >&2
	exit 2
fi
# shellcheck source=harness/config/arch/x86_64.sh
source "$HARNESS/config/arch/$ARCH.sh"

# The kernel variants: build-directory suffix, harness fragments merged
# after the usual ones (in harness/config/), kernel command line added.
# kasan_multi_shot: every KASAN report, not only the first.
declare -A VARIANT_SUFFIXES=([default]="" [debug]=-debug)
declare -A VARIANT_FRAGMENTS=([default]="" [debug]=debug.config)
declare -A VARIANT_APPENDS=([default]="" [debug]="kasan_multi_shot")
case "${DEBUG:-}" in
""|0) VARIANT=default ;;
1) VARIANT=debug ;;
*) printf '[vmtest] ERROR: DEBUG=%s: use DEBUG=1 (the debug kernel) or leave it unset\n' "$DEBUG" >&2
   exit 2 ;;
esac
VARIANT_SUFFIX=${VARIANT_SUFFIXES[$VARIANT]}
read -ra VARIANT_FRAGMENT_LIST <<<"${VARIANT_FRAGMENTS[$VARIANT]}"
VARIANT_APPEND=${VARIANT_APPENDS[$VARIANT]}

# The seccomp kselftests: built here, installed there (both kernels boot
# the same binaries), one tree per arch.
KST_DIR=$O/kselftest$ARCH_SUFFIX
KST_BUILD=$KST_DIR/build
KST_INSTALL=${KSELFTEST_INSTALL:-$KST_DIR/install}
# What the guest gets in /kselftest: the install plus the compat build and
# the project's own programs (harness/lib/selftests.sh).
KST_GUEST=${KSELFTEST_GUEST:-$KST_DIR/guest}
# The guest's initramfs, one per arch.
INITRAMFS=$O/initramfs$ARCH_SUFFIX.cpio.gz
INITRAMFS_ROOT=$O/initramfs$ARCH_SUFFIX/root
# make kselftest-install: the standard tree and its tarball.
KST_PACKAGE=$O/kselftest-install$ARCH_SUFFIX
KST_TARBALL=$KST_PACKAGE/kselftest.tar.gz
# Machine-readable results of each run: KTAP, JUnit XML, JSON.
RESULTS=$O/results

# --------------------------------------------------------------------------
# Output helpers

elapsed() { echo "$(( $(date +%s) - START ))s"; }

say() { printf '[%s] %s (%s)\n' "$1" "$2" "$(elapsed)"; }

die() {
	local stage=$1 msg=$2 log=${3:-}

	printf '[%s] ERROR: %s\n' "$stage" "$msg" >&2
	if [ -n "$log" ] && [ -f "$log" ]; then
		printf '[%s] last lines of %s:\n' "$stage" "$log" >&2
		tail -n 25 "$log" | sed 's/^/    /' >&2
	fi
	exit 1
}

# The first program (or python module) LOG says it could not find, as
# make, sh, bash, env, tar and python3 say it.
missing_program() {
	sed -n -E \
		-e 's/^make(\[[0-9]+\])?: ([A-Za-z0-9_.+-]+): No such file or directory$/\2/p' \
		-e 's/^.*: ([A-Za-z0-9_.+-]+): (command )?not found$/\1/p' \
		-e 's/^.*: ([A-Za-z0-9_.+-]+): Cannot exec: No such file or directory$/\1/p' \
		-e "s/^.*env: '([A-Za-z0-9_.+-]+)': No such file or directory$/\\1/p" \
		-e "s/^ModuleNotFoundError: No module named '([A-Za-z0-9_.]+)'.*$/python3 module \\1/p" \
		"$1" 2>/dev/null | head -n1 || true
}

# run_logged STAGE LOG CMD...: run CMD with its output in LOG; on failure
# show the end of LOG.  A program that is not there is named: the
# preflight of [deps] did not know it.
run_logged() {
	local stage=$1 log=$2

	shift 2
	mkdir -p "$(dirname "$log")"
	if ! "$@" >"$log" 2>&1; then
		# A full disk may leave no room for the log itself: ask df too.
		if grep -qs "No space left on device" "$log" ||
		   [ "$(df -Pk "$O" | awk 'NR==2 {print $4}')" -lt 1024 ]; then
			die "$stage" "disk full: free space under $O (df: $(df -Ph "$O" | awk 'NR==2 {print $4}') left)" "$log"
		fi
		local prog
		prog=$(missing_program "$log")
		if [ -n "$prog" ] &&
		   grep -qE "^[a-z]+ +(cmd|py) +${prog##* } " <<<"${DEPS_LIST:-}"; then
			die "$stage" "$prog not found, although the list in harness/lib/deps.sh has it: is PATH the one [deps] checked?; log: $log" "$log"
		elif [ -n "$prog" ]; then
			die "$stage" "$prog not found: it is missing from the list in harness/lib/deps.sh (add it with the Debian package that provides it); log: $log" "$log"
		fi
		die "$stage" "'$*' failed; log: $log" "$log"
	fi
}

# --------------------------------------------------------------------------
# The kernels (harness/config/kernels.sh): before, after, stock, ...

# shellcheck source=harness/config/kernels.sh
source "$HARNESS/config/kernels.sh"

# need_kernel STAGE NAME: die unless NAME is a kernel of the table.
need_kernel() {
	is_kernel "$2" ||
		die "$1" "no kernel '$2' in harness/config/kernels.sh (kernels: $(kernel_names | tr '\n' ' '))"
}

# The git repository of every tree: the import, in build/trees/before;
# each other tree is a worktree of it.
REPO=$TREES/before

tree_dir() { echo "$TREES/$1"; }
# kbuild_name WHICH: the name of WHICH's kernel build in this arch and
# variant (after, after-debug, after-arm64, ...): its build directory, its
# config stamp, its logs.
kbuild_name() { echo "$1$ARCH_SUFFIX$VARIANT_SUFFIX"; }
# kbuild_dir WHICH: kbuild's O= for WHICH in this arch and variant.  A
# kernel of the table builds in a directory right inside its tree: kbuild
# then calls the source "..", so that every tree compiles with the same
# command lines, and ccache (harness/lib/kernel.sh) gives one tree the
# objects that another compiled from the same source.  build/kbuild/NAME
# is a link to it.  Any other kernel (mutant-NAME) is only an image, in
# build/kbuild/NAME.
kbuild_dir() {
	if is_kernel "$1"; then
		echo "$(tree_dir "$1")/.kbuild$ARCH_SUFFIX$VARIANT_SUFFIX"
	else
		echo "$O/kbuild/$(kbuild_name "$1")"
	fi
}
