# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh (and fresh.sh): [deps], the preflight.  Before any
# work, every program that a stage, a `make check` step or a harness test
# calls is looked for, and each missing one is named with the Debian
# package that provides it.  As root the missing packages are installed
# with apt-get; otherwise the exact apt-get line is printed.

# dpkg-query -f '${Package}': the single quotes are meant.
# shellcheck disable=SC2016

# What is needed, one line each: SCOPE KIND NAME PACKAGE WHO-CALLS-IT.
#   SCOPE  vmtest   make vmtest and everything built on it
#          tarball  the stock source when KSRC is not set
#          check    make check as well (VMTEST_CHECK_DEPS=1)
#          fresh    make fresh-check, on the host (harness/fresh.sh)
#          arm64    ARCH=arm64 (DEPS_ARCH_SCOPE of harness/config/arch/)
#   KIND   cmd      a program in PATH
#          py       a module of Debian's python3 (/usr/bin/python3)
#          pkg      an installed package (dpkg-query): headers, static
#                   libraries, and perl, whose /usr/bin/perl perl-base
#                   already gives without the modules the scripts use;
#                   NAME:ARCH is a package of a foreign architecture, whose
#                   architecture [deps] adds to dpkg before installing
#          deb      a package that is downloaded (apt-get download) and
#                   extracted under $DEBS/NAME, not installed: one that
#                   cannot be co-installed with the host's own (NAME:ARCH)
#          src      the stock source package at DEBIAN_SRC_VERSION
#                   (harness/lib/common.sh): present if its tarball is
#                   there, from dpkg's package at that version or
#                   extracted whole under $DEBS/NAME=VERSION; else
#                   downloaded and extracted there (the host's own
#                   package is left alone); DEBIAN_SRC_VERSION=installed:
#                   a pkg
# DEPS_SCOPES="SCOPE..." replaces the scopes in force (see deps_scopes);
# DEPS_NO_INSTALL=1 only names the missing packages, even as root.
# Not listed: what Debian's Essential and required packages give every
# root, a debootstrap --variant=minbase one too: bash, coreutils,
# findutils, diffutils, grep, sed, mawk, tar, util-linux and mount
# (mount, umount, mountpoint, flock), hostname, dpkg, apt, libc-bin (ldd).
DEPS_LIST='
vmtest  cmd make               make                     kbuild, kselftest lib.mk, the Makefile
vmtest  cmd gcc                gcc                      kbuild, selftests, sample, check uapi step
vmtest  pkg libc6-dev          libc6-dev                selftests and sample (-static; only a Recommends of gcc)
vmtest  cmd ld                 binutils                 kbuild
vmtest  cmd ccache             ccache                   kbuild (the compiler cache the kernels share: harness/lib/kernel.sh)
vmtest  cmd flex               flex                     kbuild (kconfig lexer)
vmtest  cmd bison              bison                    kbuild (kconfig parser)
vmtest  cmd bc                 bc                       kbuild (timeconst.h), bench-loop.sh
vmtest  pkg perl               perl                     kbuild, headers_install, checkpatch.pl, get_maintainer.pl, kernel-doc
vmtest  pkg libelf-dev         libelf-dev               kbuild (objtool)
vmtest  pkg libssl-dev         libssl-dev               kbuild (certs, sign-file host tools)
vmtest  pkg libcap-dev         libcap-dev               selftests (-lcap, static)
vmtest  pkg gcc-multilib       gcc-multilib             selftests -m32 (the ia32 compat run)
vmtest  pkg libcap-dev:i386    libcap-dev:i386          selftests -m32 (-lcap, static; dpkg multiarch)
vmtest  pkg libseccomp-dev     libseccomp-dev           examples/libseccomp (libseccomp.a, seccomp.h)
vmtest  cmd git                git                      source import, before/after trees, check fresh tree
vmtest  cmd xz                 xz-utils                 source import (tar -I xz)
vmtest  cmd rsync              rsync                    selftests (kselftest lib.mk install)
vmtest  cmd cpio               cpio                     initramfs
vmtest  cmd gzip               gzip                     initramfs
vmtest  pkg busybox-static     busybox-static           initramfs (a static busybox: the guest userland)
vmtest  cmd crun               crun                     initramfs (vmtest:crun-example: crun, its libraries and the loader)
vmtest  cmd qemu-system-x86_64 qemu-system-x86          boot, accelerator probe
vmtest  cmd python3            python3                  tests (ktap.py)
vmtest  cmd gnuplot            gnuplot-nox              make bench (harness/bench.sh: the PNG chart)
tarball src linux-source-6.12  linux-source-6.12        source (its tarball, at the pinned version)
check   cmd sparse             sparse                   check bisect step (C=1)
check   cmd sphinx-build       python3-sphinx           check docs step (make htmldocs)
check   py  sphinx_rtd_theme   python3-sphinx-rtd-theme check docs step (the theme conf.py asks for)
check   py  yaml               python3-yaml             check docs step (tools/net/ynl/ynl-gen-rst.py)
check   py  ply                python3-ply              checkpatch.pl (scripts/spdxcheck.py)
check   py  git                python3-git              checkpatch.pl (scripts/spdxcheck.py)
check   cmd pyflakes3          pyflakes3                harness tests (t-ktap.sh)
check   cmd shellcheck         shellcheck               harness tests (t-lint.sh)
check   cmd xmllint            libxml2-utils            harness tests (t-results.sh: the JUnit schema)
check   cmd b4                 b4                       make series (b4)
arm64   cmd clang              clang                    ARCH=arm64: kernel (LLVM=1), selftests and guest programs (--target=aarch64-linux-gnu)
arm64   cmd ld.lld             lld                      ARCH=arm64: kernel link (LLVM=1)
arm64   cmd llvm-objcopy       llvm                     ARCH=arm64: kernel (LLVM=1: llvm-ar, llvm-nm, llvm-objcopy, llvm-strip)
arm64   cmd aarch64-linux-gnu-ld binutils-aarch64-linux-gnu ARCH=arm64: static link of the guest programs (the clang driver runs it)
arm64   pkg libc6-dev-arm64-cross libc6-dev-arm64-cross ARCH=arm64: libc.a and crt*.o of the guest programs
arm64   pkg libgcc-12-dev-arm64-cross libgcc-12-dev-arm64-cross ARCH=arm64: libgcc.a, crtbeginT.o (clang finds /usr/lib/gcc-cross)
arm64   pkg libcap-dev:arm64   libcap-dev:arm64         ARCH=arm64: selftests (-lcap, static; dpkg multiarch)
arm64   pkg libseccomp-dev:arm64 libseccomp-dev:arm64   ARCH=arm64: examples/libseccomp (libseccomp.a; dpkg multiarch)
arm64   cmd qemu-system-aarch64 qemu-system-arm         ARCH=arm64: boot (-M virt -cpu max, TCG)
arm64   deb busybox-static:arm64 busybox-static:arm64   ARCH=arm64: initramfs (conflicts with the amd64 busybox-static)
fresh   cmd debootstrap        debootstrap              fresh-check (the minbase root)
fresh   cmd git                git                      fresh-check (the clone)
'

# The scopes in force, one a line.
deps_scopes() {
	local -a scopes

	if [ -n "${DEPS_SCOPES:-}" ]; then
		read -ra scopes <<<"$DEPS_SCOPES"
		printf '%s\n' "${scopes[@]}"
		return
	fi
	echo vmtest
	[ -n "${KSRC:-}" ] || echo tarball
	[ "${VMTEST_CHECK_DEPS:-}" != 1 ] || echo check
	[ -z "${DEPS_ARCH_SCOPE:-}" ] || echo "$DEPS_ARCH_SCOPE"
}

# The list's lines of the scopes in force: "KIND NAME PACKAGE WHO...".
deps_needed() {
	local scope kind name pkg who
	local -A on=()

	while read -r scope; do
		on[$scope]=1
	done < <(deps_scopes)
	while read -r scope kind name pkg who; do
		if [ -z "$scope" ] || [ -z "${on[$scope]:-}" ]; then
			continue
		fi
		echo "$kind $name $pkg $who"
	done <<<"$DEPS_LIST"
}

# The needed entries that are missing, one "NAME PACKAGE" a line.  One
# dpkg-query for all packages and one python3 for all modules.
deps_missing() {
	local kind name pkg who tarball
	local -a pkgs=() mods=()
	local -A have=() pkg_of=()

	while read -r kind name pkg who; do
		case "$kind" in
		cmd) command -v "$name" >/dev/null 2>&1 || echo "$name $pkg" ;;
		pkg) pkgs+=("$name") ;;
		py) mods+=("$name"); pkg_of[$name]=$pkg ;;
		deb) [ -f "$DEBS/$name/.extracted" ] || echo "deb:$name $pkg" ;;
		src)
			if [ "$DEBIAN_SRC_VERSION" = installed ]; then
				pkgs+=("$name")
			else
				tarball=$(debian_tarball)
				if [ ! -f "$tarball" ] || { [[ $tarball != /usr/src/* ]] &&
				   [ ! -f "$DEBS/$name=$DEBIAN_SRC_VERSION/.extracted" ]; }; then
					echo "deb:$name=$DEBIAN_SRC_VERSION $pkg=$DEBIAN_SRC_VERSION"
				fi
			fi ;;
		*) die deps "harness/lib/deps.sh: unknown kind '$kind' for $name: use cmd, py, pkg, deb or src" ;;
		esac
	done < <(deps_needed)
	if [ "${#pkgs[@]}" -gt 0 ]; then
		# A package dpkg does not know is missing too.
		local native arch
		native=$(dpkg --print-architecture)
		while read -r name arch; do
			have[$name:$arch]=1
			[ "$arch" != "$native" ] && [ "$arch" != all ] || have[$name]=1
		done < <(dpkg-query -W -f='${Package} ${Architecture} ${Status}\n' "${pkgs[@]}" 2>/dev/null |
			 awk '$NF == "installed" {print $1, $2}')
		for name in "${pkgs[@]}"; do
			[ -n "${have[$name]:-}" ] || echo "$name $name"
		done
	fi
	if [ "${#mods[@]}" -gt 0 ]; then
		# Debian's python3, the one the packages install modules for (and
		# the one check.sh puts first in PATH), not an earlier one in PATH.
		if [ -x /usr/bin/python3 ]; then
			/usr/bin/python3 -c 'import importlib.util, sys
for m in sys.argv[1:]:
    if importlib.util.find_spec(m) is None:
        print(m)' "${mods[@]}"
		else
			printf '%s\n' "${mods[@]}"
		fi | while read -r name; do
			echo "python3-module:$name ${pkg_of[$name]}"
		done
	fi
}

# deps_install PACKAGE...: apt-get install, each failure a one-line cause.
deps_install() {
	local log=$LOGS/deps.log lacking

	mkdir -p "$LOGS"
	: >"$log"
	local pkg foreign
	foreign=$(dpkg --print-foreign-architectures)
	for pkg in "$@"; do
		case "$pkg" in
		*:*)
			grep -qx "${pkg#*:}" <<<"$foreign" && continue
			dpkg --add-architecture "${pkg#*:}" ||
				die deps "dpkg --add-architecture ${pkg#*:} failed (needed for $pkg)"
			foreign+=$'\n'"${pkg#*:}" ;;
		esac
	done
	if ! env DEBIAN_FRONTEND=noninteractive apt-get update >>"$log" 2>&1; then
		die deps "apt-get update failed: $(grep -m1 -E '^(E|Err):' "$log" || echo 'see the log'); check the apt sources and the network (log: $log)"
	fi
	if env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1; then
		return
	fi
	lacking=$(sed -n -e 's/^E: Unable to locate package \(.*\)$/\1/p' \
		-e "s/^E: Package '\\(.*\\)' has no installation candidate\$/\\1/p" "$log" |
		sort -u | tr '\n' ' ')
	if [ -n "$lacking" ]; then
		die deps "the apt sources have no package ${lacking% }: add the suite that has it to the apt sources, or fix the list in harness/lib/deps.sh (log: $log)"
	fi
	if grep -qs "No space left on device" "$log" ||
	   [ "$(df -Pk / | awk 'NR==2 {print $4}')" -lt 1024 ]; then
		die deps "disk full: apt-get install $* needs free space on / (log: $log)"
	fi
	die deps "apt-get install $* failed: $(grep -m1 '^E:' "$log" || echo 'see the log') (log: $log)" "$log"
}

# deps_extract PACKAGE...: apt-get download each and extract it under
# $DEBS/PACKAGE (the deb and src kinds).  After a failed download, as
# root: a foreign architecture apt has no lists for is added, the lists
# are updated, and the download is tried once more.
deps_extract() {
	local log=$LOGS/deps-extract.log pkg deb tmp hint arch

	mkdir -p "$LOGS" "$DEBS"
	: >"$log"
	for pkg in "$@"; do
		tmp=$DEBS/.download
		rm -rf "$tmp" && mkdir -p "$tmp"
		# NAME:ARCH=VERSION: the architecture, or nothing.
		arch=${pkg%%=*}
		[[ $arch == *:* ]] && arch=${arch#*:} || arch=
		if ! (cd "$tmp" && apt-get download "$pkg") >>"$log" 2>&1; then
			if [ "$(id -u)" -eq 0 ]; then
				if [ -n "$arch" ] &&
				   ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
					dpkg --add-architecture "$arch" >>"$log" 2>&1 ||
						die deps "dpkg --add-architecture $arch failed (log: $log)" "$log"
				fi
				env DEBIAN_FRONTEND=noninteractive apt-get update >>"$log" 2>&1 ||
					die deps "apt-get update failed: $(grep -m1 -E '^(E|Err):' "$log" || echo 'see the log'); check the apt sources and the network (log: $log)" "$log"
			fi
			if ! (cd "$tmp" && apt-get download "$pkg") >>"$log" 2>&1; then
				hint=
				if [ "$(id -u)" -ne 0 ]; then
					hint="if the apt lists are old or missing: sudo ${arch:+dpkg --add-architecture $arch && sudo }apt-get update, then harness/vmtest.sh deps"
				fi
				if [ "$pkg" = "$DEBIAN_SRC_PKG=$DEBIAN_SRC_VERSION" ]; then
					hint+="${hint:+; otherwise }the series is based on that version of the stock source: add apt sources that have it ('apt-cache madison $DEBIAN_SRC_PKG' lists the versions they have), or move the series to one they have (DEBIAN_SRC_VERSION=V make prepare series, then set V in harness/lib/common.sh), or set KSRC=<kernel tree>"
				elif [ -z "$hint" ]; then
					hint="the apt sources have no $pkg: add the suite that has it"
				fi
				die deps "apt-get download $pkg failed: $(grep -m1 '^E:' "$log" || echo 'see the log'); $hint (log: $log)" "$log"
			fi
		fi
		deb=$(find "$tmp" -name '*.deb' | head -n1)
		rm -rf "${DEBS:?}/$pkg"
		dpkg-deb -x "$deb" "$DEBS/$pkg" >>"$log" 2>&1 ||
			die deps "dpkg-deb -x $deb failed (log: $log)" "$log"
		basename "$deb" >"$DEBS/$pkg/.extracted"
		rm -rf "$tmp"
	done
}

# deps_describe "NAME PACKAGE"...: "NAME (package PACKAGE), ..."
deps_describe() {
	local entry name out=

	for entry in "$@"; do
		name=${entry%% *}
		name=${name/#python3-module:/python3 module }
		name=${name/#deb:/}
		out+="${out:+, }$name (package ${entry#* })"
	done
	echo "$out"
}

stage_deps() {
	local entry pkg
	local -a missing=() pkgs=() extract=()

	mapfile -t missing < <(deps_missing)
	if [ "${#missing[@]}" -eq 0 ]; then
		say deps "all packages present"
		return
	fi
	for entry in "${missing[@]}"; do
		pkg=${entry#* }
		case "$entry" in
		deb:*) extract+=("$pkg"); continue ;;
		esac
		[[ " ${pkgs[*]} " == *" $pkg "* ]] || pkgs+=("$pkg")
	done
	if [ "${#pkgs[@]}" -eq 0 ] && [ "${1:-}" != --check ] && [ "${DEPS_NO_INSTALL:-}" != 1 ]; then
		# Only packages to extract: no root needed, unless apt lacks
		# their architecture's lists.
		deps_extract "${extract[@]}"
		say deps "extracted ${extract[*]} under $DEBS"
		return
	fi
	if [ "${1:-}" = --check ] || [ "${DEPS_NO_INSTALL:-}" = 1 ] || [ "$(id -u)" -ne 0 ]; then
		echo "[deps] ERROR: missing $(deps_describe "${missing[@]}")" >&2
		[ "${#pkgs[@]}" -eq 0 ] ||
			echo "[deps] install them with: sudo apt-get install ${pkgs[*]}" >&2
		[ "${#extract[@]}" -eq 0 ] ||
			echo "[deps] extract ${extract[*]} under $DEBS with: ${DEPS_NO_INSTALL:+DEPS_NO_INSTALL= }harness/vmtest.sh deps" >&2
		exit 1
	fi
	echo "[deps] missing $(deps_describe "${missing[@]}"); installing ${pkgs[*]} (log: $LOGS/deps.log)"
	deps_install "${pkgs[@]}"
	[ "${#extract[@]}" -eq 0 ] || deps_extract "${extract[@]}"
	# What apt-get installed must have brought every program.
	hash -r
	mapfile -t missing < <(deps_missing)
	if [ "${#missing[@]}" -gt 0 ]; then
		die deps "still missing after apt-get install ${pkgs[*]}: $(deps_describe "${missing[@]}"): that package does not provide it; fix the list in harness/lib/deps.sh"
	fi
	say deps "installed ${pkgs[*]}${extract[*]:+; extracted ${extract[*]} under $DEBS}"
}
