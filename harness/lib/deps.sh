# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [deps], the Debian packages the harness needs.

# dpkg-query -f '${Package}': the single quotes are meant.
# shellcheck disable=SC2016

need_packages() {
	local pkgs=(gcc make flex bison bc libelf-dev libssl-dev libcap-dev cpio
		    gzip xz-utils busybox-static qemu-system-x86 python3 git perl rsync)

	if [ -z "${KSRC:-}" ]; then
		pkgs+=("$DEBIAN_SRC_PKG")
	fi
	if [ "${VMTEST_CHECK_DEPS:-}" = 1 ]; then
		pkgs+=(sparse python3-sphinx python3-sphinx-rtd-theme python3-yaml python3-ply python3-git shellcheck)
	fi
	printf '%s\n' "${pkgs[@]}"
}

stage_deps() {
	local missing=()

	# One dpkg-query for all: a package it does not know is missing too.
	mapfile -t missing < <(need_packages | sort -u | join -v1 - <(
		need_packages | xargs dpkg-query -W -f='${Package} ${Status}\n' 2>/dev/null |
		awk '$NF == "installed" {print $1}' | sort -u))
	if [ "${#missing[@]}" -eq 0 ]; then
		say deps "all packages present"
		return
	fi
	if [ "${1:-}" = --check ] || [ "$(id -u)" -ne 0 ]; then
		echo "[deps] missing packages: ${missing[*]}" >&2
		echo "[deps] install them with: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "[deps] installing: ${missing[*]} (log: $LOGS/deps.log)"
	run_logged deps "$LOGS/deps.log" env DEBIAN_FRONTEND=noninteractive \
		sh -c "apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
	say deps "installed ${missing[*]}"
}
