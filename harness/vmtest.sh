#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vmtest.sh: stock kernel source -> before/after trees -> kernel -> seccomp
# kselftests in QEMU -> KTAP summary.  The Makefile is the front door; this
# script holds the stages.  Modelled on tools/testing/selftests/bpf/vmtest.sh.
#
#   vmtest.sh run [before|after]   all stages, run the tests in that kernel
#   vmtest.sh test [before|after]  boot a built kernel and run the tests only
#   vmtest.sh shell                boot the after kernel into a busybox shell
#   vmtest.sh prepare              deps, source, before and after trees
#   vmtest.sh build [before|after] prepare, then config, kernel and headers
#   vmtest.sh selftests            build and install the kselftests only
#   vmtest.sh series               export the after tree to patches/
#   vmtest.sh paths                print name=path lines
#   vmtest.sh deps [--check]       install (or only check) what is needed
#
# Environment: O (output dir, default build/), KSRC (kernel tree, default
# Debian's linux-source-6.12 tarball), T (glob of tests to run, e.g.
# 'seccomp_continue'), ACCEL (kvm|tcg, default: probe), VM_TIMEOUT (s),
# GUEST_INIT (alternative /init for the guest), JOBS (make -j).

# sh -c '...' sh ARGS: the single quotes are meant.
# shellcheck disable=SC2016
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HARNESS")
O=${O:-$TOP/build}
mkdir -p "$O"
O=$(cd "$O" && pwd)
JOBS=${JOBS:-$(nproc)}
T=${T:-}
ACCEL=${ACCEL:-}
GUEST_INIT=${GUEST_INIT:-$HARNESS/guest/init}
DEBIAN_SRC_PKG=linux-source-6.12
DEBIAN_TARBALL=/usr/src/linux-source-6.12.tar.xz

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

# run_logged STAGE LOG CMD...: run CMD with its output in LOG; on failure
# show the end of LOG.
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
		die "$stage" "'$*' failed; log: $log" "$log"
	fi
}

tree_dir() { echo "$TREES/$1"; }
kbuild_dir() { echo "$O/kbuild/$1"; }

# --------------------------------------------------------------------------
# [deps]

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

# --------------------------------------------------------------------------
# [source]: import the stock source into $TREES/before as commit "stock"

kernel_version() {
	awk -F' = ' '/^VERSION =/ {v=$2} /^PATCHLEVEL =/ {p=$2}
		/^SUBLEVEL =/ {s=$2} /^EXTRAVERSION =/ {e=$2; exit}
		END {printf "%s.%s.%s%s\n", v, p, s, e}' "$1/Makefile"
}

is_kernel_tree() {
	[ -f "$1/Makefile" ] && [ -f "$1/kernel/seccomp.c" ] &&
		[ -f "$1/include/uapi/linux/seccomp.h" ] &&
		[ -f "$1/scripts/kconfig/merge_config.sh" ] &&
		grep -q '^PATCHLEVEL =' "$1/Makefile"
}

# Prints an id of the source: changes when the source changes.
source_id() {
	if [ -z "${KSRC:-}" ]; then
		echo "import2:debian:$(dpkg-query -W -f='${Version}' "$DEBIAN_SRC_PKG" 2>/dev/null):$(stat -c %s:%Y "$DEBIAN_TARBALL")"
	elif git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1; then
		echo "import2:git:$(cd "$KSRC" && pwd):$(git -C "$KSRC" rev-parse HEAD)"
	else
		echo "import2:dir:$(cd "$KSRC" && pwd):$(stat -c %Y "$KSRC/Makefile")"
	fi
}

stage_source() {
	local id tmp=$TREES/.import src desc

	if [ -n "${KSRC:-}" ]; then
		[ -d "$KSRC" ] || die source "KSRC=$KSRC does not exist"
		is_kernel_tree "$KSRC" ||
			die source "KSRC=$KSRC is not a kernel tree (no Makefile, kernel/seccomp.c or scripts/kconfig/merge_config.sh)"
		if git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1 &&
		   [ -n "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ]; then
			die source "KSRC=$KSRC has uncommitted changes; commit or stash them first (it is only read, never written)"
		fi
	else
		[ -f "$DEBIAN_TARBALL" ] ||
			die source "$DEBIAN_TARBALL missing: apt-get install $DEBIAN_SRC_PKG, or set KSRC=<kernel tree>"
	fi
	id=$(source_id)
	if [ -f "$STAMPS/source" ] && [ "$(cat "$STAMPS/source")" = "$id" ] &&
	   git -C "$TREES/before" rev-parse -q --verify refs/tags/stock >/dev/null 2>&1; then
		say source "Linux $(cat "$O/kernel-version") ($id), already imported"
		return
	fi

	# A new source: start over.  Trees are only ever built from a
	# source and the project's patches, so nothing of value is lost,
	# unless someone worked in the after tree: refuse then.
	if [ -d "$TREES/after" ]; then
		check_after_unchanged
	fi
	echo "[source] importing $id into $TREES/before (log: $LOGS/source.log)"
	rm -rf "$tmp" "$TREES/before" "$TREES/after" "$STAMPS"
	mkdir -p "$tmp" "$STAMPS"
	if [ -z "${KSRC:-}" ]; then
		# Debian's tarball is multi-block xz: decompress on every core.
		run_logged source "$LOGS/source.log" \
			tar -I 'xz -T0' -xf "$DEBIAN_TARBALL" -C "$tmp" --strip-components=1
		desc="Debian $DEBIAN_SRC_PKG $(dpkg-query -W -f='${Version}' "$DEBIAN_SRC_PKG")"
	elif git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1; then
		run_logged source "$LOGS/source.log" \
			sh -c 'git -C "$1" archive --format=tar HEAD | tar -x -C "$2"' sh "$KSRC" "$tmp"
		desc="$KSRC at $(git -C "$KSRC" rev-parse --short HEAD)"
	else
		run_logged source "$LOGS/source.log" \
			sh -c 'tar -C "$1" --exclude=.git -cf - . | tar -x -C "$2"' sh "$KSRC" "$tmp"
		desc="$KSRC"
	fi
	src=$(kernel_version "$tmp")
	# Debian's tarball ignores its whole top level (.gitignore "/*"):
	# add with -f, and drop that rule so that git status works.  Loose
	# objects stay uncompressed: 34 s instead of 53 s to add the tree
	# here, for 1.1 GiB more disk.
	if [ -f "$tmp/.gitignore" ]; then
		sed -i '/^\/\*$/d; /^!\/debian\/$/d' "$tmp/.gitignore"
	fi
	run_logged source "$LOGS/source.log" sh -c '
		cd "$1" && git init -q -b before . &&
		git config core.abbrev 12 && git config gc.auto 0 &&
		git config core.looseCompression 0 &&
		git add -f -A . &&
		GIT_AUTHOR_DATE=$3 GIT_COMMITTER_DATE=$3 git commit -q -m "$2" &&
		git tag stock' sh "$tmp" "Linux $src ($desc)" "$FIXED_DATE"
	mv "$tmp" "$TREES/before"
	echo "$src" >"$O/kernel-version"
	echo "$id" >"$STAMPS/source"
	say source "Linux $src from $desc imported"
}

# --------------------------------------------------------------------------
# Applying patches in place.  Files the patches do not change keep their
# mtime, so that kbuild only rebuilds what really changed.

# apply_series TREE BASE STAGE PATCH...: make TREE's HEAD = BASE + PATCHes.
apply_series() {
	local tree=$1 base=$2 stage=$3 old f saved
	local -a files=()

	shift 3
	old=$(git -C "$tree" rev-parse HEAD)
	saved=$(mktemp)
	# Remember the mtime of every file that the reset below rewrites.
	while IFS= read -r -d '' f; do
		if [ -f "$tree/$f" ]; then
			files+=("$f")
			printf '%s\0%s\0' "$f" "$(stat -c %y "$tree/$f")" >>"$saved"
		fi
	done < <(git -C "$tree" diff -z --name-only "$base" "$old")

	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" reset -q --hard "$base"
	if [ "$#" -gt 0 ] &&
	   ! git -C "$tree" am -q --committer-date-is-author-date "$@" \
		>"$LOGS/$stage-am.log" 2>&1; then
		local failed hunk
		failed=$(sed -n 's/^Patch failed at \(.*\)$/\1/p' "$LOGS/$stage-am.log")
		hunk=$(grep -m1 -E '^error: (patch failed|.*does not exist|.*already exists|corrupt patch)' \
			"$LOGS/$stage-am.log" || true)
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		rm -f "$saved"
		die "$stage" "patch ${failed:-?} does not apply: ${hunk:-see log} (log: $LOGS/$stage-am.log)" \
			"$LOGS/$stage-am.log"
	fi
	# Give back the old mtime to files whose content ended up unchanged.
	while IFS= read -r -d '' f && IFS= read -r -d '' mtime; do
		if [ -f "$tree/$f" ] &&
		   [ "$(git -C "$tree" rev-parse -q --verify "$old:$f" || true)" = \
		     "$(git -C "$tree" rev-parse -q --verify "HEAD:$f" || true)" ]; then
			touch -d "$mtime" "$tree/$f"
		fi
	done <"$saved"
	rm -f "$saved"
	git -C "$tree" update-index -q --refresh >/dev/null || true
}

patches_id() {
	local base=$1

	shift
	{ echo "$base"; cat "$@" 2>/dev/null; } | sha256sum | cut -d' ' -f1
}

base_patches() { compgen -G "$BASE_DIR/*.patch" | sort || true; }
series_patches() {
	compgen -G "$PATCHES_DIR/*.patch" | grep -v '/0000-cover-letter.patch$' | sort || true
}

check_clean() {
	local tree=$1 stage=$2

	if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
		die "$stage" "$tree has uncommitted changes: commit them (and run 'make series') or 'git -C $tree stash'; nothing was touched"
	fi
}

# The after tree is where the series is edited.  Refuse to rewrite it when
# it holds work that patches/ does not have.
check_after_unchanged() {
	local tree=$TREES/after head

	[ -d "$tree" ] || return 0
	check_clean "$tree" after
	head=$(git -C "$tree" rev-parse HEAD)
	if [ "$head" != "$(cat "$STAMPS/after.applied" 2>/dev/null)" ] &&
	   [ "$head" != "$(cat "$STAMPS/after.exported" 2>/dev/null)" ]; then
		die after "$tree has commits that are not in patches/ (HEAD $head): run 'make series' to export them, or 'git -C $tree reset --hard $(cat "$STAMPS/after.applied" 2>/dev/null)' to drop them"
	fi
}

stage_before() {
	local tree=$TREES/before id
	local -a patches

	mapfile -t patches < <(base_patches)
	[ "${#patches[@]}" -gt 0 ] || die before "no base patch (*.patch) found in $BASE_DIR"
	id=$(patches_id "$(git -C "$tree" rev-parse stock)" "${patches[@]}")
	if [ "$(cat "$STAMPS/before" 2>/dev/null)" = "$id" ] &&
	   [ "$(git -C "$tree" rev-parse HEAD)" = "$(cat "$STAMPS/before.applied" 2>/dev/null)" ]; then
		check_clean "$tree" before
		say before "${#patches[@]} base patch(es) already applied"
		return
	fi
	check_clean "$tree" before
	check_after_unchanged
	rm -f "$STAMPS/before" "$STAMPS/after"
	# --committer-date-is-author-date: the before commit id is reproducible.
	apply_series "$tree" stock before "${patches[@]}"
	git -C "$tree" rev-parse HEAD >"$STAMPS/before.applied"
	echo "$id" >"$STAMPS/before"
	say before "applied ${#patches[@]} base patch(es): before = $(git -C "$tree" rev-parse --short HEAD)"
}

stage_after() {
	local tree=$TREES/after id
	local -a patches

	mapfile -t patches < <(series_patches)
	if [ ! -d "$tree" ]; then
		git -C "$TREES/before" worktree prune
		run_logged after "$LOGS/after.log" \
			git -C "$TREES/before" worktree add -q -B after "$tree" before
		git -C "$tree" rev-parse HEAD >"$STAMPS/after.applied"
	fi
	id=$(patches_id "$(git -C "$TREES/before" rev-parse before)" "${patches[@]}")
	if [ "$(cat "$STAMPS/after" 2>/dev/null)" = "$id" ] &&
	   [ "$(git -C "$tree" rev-parse HEAD)" = "$(cat "$STAMPS/after.applied" 2>/dev/null)" ]; then
		check_clean "$tree" after
		say after "${#patches[@]} series patch(es) already applied"
		return
	fi
	check_after_unchanged
	rm -f "$STAMPS/after"
	apply_series "$tree" before after "${patches[@]}"
	git -C "$tree" rev-parse HEAD >"$STAMPS/after.applied"
	echo "$id" >"$STAMPS/after"
	if [ "${#patches[@]}" -eq 0 ]; then
		say after "no patches/ series yet: after = before"
	else
		say after "applied ${#patches[@]} series patch(es): after = $(git -C "$tree" rev-parse --short HEAD)"
	fi
}

stage_prepare() {
	stage_deps
	stage_source
	stage_before
	stage_after
}

# --------------------------------------------------------------------------
# [config] [kernel]

config_fragments() {
	local tree=$1

	echo "$tree/kernel/configs/tiny-base.config"
	echo "$tree/kernel/configs/tiny.config"
	echo "$tree/arch/x86/configs/tiny.config"
	echo "$HARNESS/config/vm.config"
	echo "$tree/tools/testing/selftests/seccomp/config"
}

# Every option our fragments ask for must be in the final .config.
check_config() {
	local kb=$1 tree=$2 line opt val missing=()

	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}; val=${line#*=}
			if [ "$val" = n ]; then
				grep -qx "# $opt is not set" "$kb/.config" || missing+=("$line")
			else
				grep -qx "$opt=$val" "$kb/.config" || missing+=("$line")
			fi ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$kb/.config" && missing+=("$line") ;;
		esac
	done < <(cat "$HARNESS/config/vm.config" "$tree/tools/testing/selftests/seccomp/config")
	if [ "${#missing[@]}" -gt 0 ]; then
		die config "options dropped by olddefconfig (a dependency is missing): ${missing[*]} (config: $kb/.config)"
	fi
}

stage_config() {
	local which=$1 tree kb id
	local -a frags

	tree=$(tree_dir "$which")
	kb=$(kbuild_dir "$which")
	mapfile -t frags < <(config_fragments "$tree")
	id=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
	if [ -f "$kb/.config" ] && [ "$(cat "$STAMPS/config-$which" 2>/dev/null)" = "$id" ]; then
		say config "$which: unchanged ($kb/.config)"
		return
	fi
	mkdir -p "$kb"
	run_logged config "$LOGS/config-$which.log" \
		sh -c 'cd "$1" && shift && scripts/kconfig/merge_config.sh -n -O "$@"' \
		sh "$tree" "$kb" "${frags[@]}"
	check_config "$kb" "$tree"
	echo "$id" >"$STAMPS/config-$which"
	say config "$which: tinyconfig + vm.config + seccomp/config merged ($kb/.config)"
}

stage_kernel() {
	local which=$1 tree kb

	tree=$(tree_dir "$which")
	kb=$(kbuild_dir "$which")
	echo "[kernel] building $which (log: $LOGS/kernel-$which.log)"
	run_logged kernel "$LOGS/kernel-$which.log" \
		make -C "$tree" O="$kb" -j"$JOBS" all
	[ -f "$kb/arch/x86/boot/bzImage" ] ||
		die kernel "$kb/arch/x86/boot/bzImage was not built" "$LOGS/kernel-$which.log"
	say kernel "$which: $kb/arch/x86/boot/bzImage, headers in $kb/usr/include"
}

stage_build() {
	local which=${1:-after}

	stage_prepare
	stage_config "$which"
	stage_kernel "$which"
}

# --------------------------------------------------------------------------
# [selftests] [initramfs]: tests come from the after tree, built against
# the after headers, statically linked; the same binaries run in both kernels.

KST_BUILD=$O/kselftest/build
KST_INSTALL=${KSELFTEST_INSTALL:-$O/kselftest/install}

stage_selftests() {
	local tree=$TREES/after hdr
	hdr=$(kbuild_dir after)/usr/include

	[ -f "$hdr/linux/seccomp.h" ] ||
		die selftests "after headers missing ($hdr): build the after kernel first"
	echo "[selftests] building seccomp kselftests (log: $LOGS/selftests.log)"
	mkdir -p "$KST_BUILD"
	run_logged selftests "$LOGS/selftests.log" \
		env CFLAGS="-static" make -C "$tree/tools/testing/selftests" \
		TARGETS=seccomp O="$KST_BUILD" KHDR_INCLUDES="-isystem $hdr" \
		INSTALL_PATH="$KST_INSTALL" -j"$JOBS" install
	[ -x "$KST_INSTALL/run_kselftest.sh" ] ||
		die selftests "run_kselftest.sh not installed in $KST_INSTALL" "$LOGS/selftests.log"
	# The sample, for the guest: kbuild links it against the host's libc.
	rm -f "$O/kselftest/user-continue"
	if [ -f "$tree/samples/seccomp/user-continue.c" ]; then
		run_logged selftests "$LOGS/sample.log" \
			gcc -static -Wall -O2 -isystem "$hdr" -o "$O/kselftest/user-continue" \
			"$tree/samples/seccomp/user-continue.c"
	fi
	say selftests "$(tr '\n' ' ' <"$KST_INSTALL/kselftest-list.txt")installed in $KST_INSTALL"
}

stage_initramfs() {
	local root=$O/initramfs/root busybox applet

	busybox=$(command -v busybox || true)
	[ -n "$busybox" ] || die initramfs "busybox not found: apt-get install busybox-static"
	if ldd "$busybox" >/dev/null 2>&1; then
		die initramfs "$busybox is dynamically linked: apt-get install busybox-static"
	fi
	[ -f "$GUEST_INIT" ] || die initramfs "guest init $GUEST_INIT not found"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
	cp "$busybox" "$root/bin/busybox"
	while read -r applet; do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done < <("$busybox" --list-full)
	rm -f "$root/usr/bin/timeout"
	cp "$HARNESS/guest/timeout" "$root/usr/bin/timeout"
	cp "$GUEST_INIT" "$root/init"
	chmod 755 "$root/init"
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	cp -a "$KST_INSTALL" "$root/kselftest"
	if [ -f "$O/kselftest/user-continue" ]; then
		cp "$O/kselftest/user-continue" "$root/usr/bin/user-continue"
	fi
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$O/initramfs.cpio.gz"
	say initramfs "$O/initramfs.cpio.gz ($(du -h "$O/initramfs.cpio.gz" | cut -f1))"
}

# --------------------------------------------------------------------------
# [boot] [tests]

# QEMU with KVM may fail or hang here: a 16-byte guest ran, and the kernel
# then stopped on "KVM internal error" at its first xrstor.  So the probe
# boots the kernel itself with KVM, without an initramfs, within 15 s: it
# passes when the kernel gets as far as its "no root" panic.
probe_accel() {
	local kernel=$1 cache=$STAMPS/accel key log=$O/accel-probe.log

	key="probe3:$(stat -c %Y "$(command -v qemu-system-x86_64)"):$(stat -c %Y "$kernel"):$([ -e /dev/kvm ] && echo kvm)"
	if [ -f "$cache" ] && [ "$(head -n1 "$cache")" = "$key" ]; then
		tail -n1 "$cache"
		return
	fi
	local accel=tcg
	if [ -w /dev/kvm ]; then
		timeout -k 2 15 qemu-system-x86_64 -accel kvm -cpu host -M pc -m 256M \
			-nodefaults -display none -no-reboot -serial stdio -kernel "$kernel" \
			-append "console=ttyS0 panic=-1 loglevel=4" </dev/null >"$log" 2>&1 || true
		if grep -q 'Kernel panic' "$log" && ! grep -q 'KVM internal error' "$log"; then
			accel=kvm
		fi
	fi
	printf '%s\n%s\n' "$key" "$accel" >"$cache"
	echo "$accel"
}

# The kselftest entries to run: all but the benchmark (make bench runs it),
# filtered by T.
select_tests() {
	local entry name

	while read -r entry; do
		name=${entry#*:}
		if [ -n "$T" ]; then
			# shellcheck disable=SC2053
			[[ $name == $T ]] || continue
		elif [ "$name" = seccomp_benchmark ]; then
			continue
		fi
		echo "$entry"
	done <"$KST_INSTALL/kselftest-list.txt"
}

settings_timeout() {
	sed -n 's/^timeout=//p' "$KST_INSTALL/seccomp/settings" 2>/dev/null | head -n1
}

# boot_guest KERNEL MODE CONSOLE EXTRA-APPEND
boot_guest() {
	local which=$1 mode=$2 console=$3 append=$4 accel cpu kernel
	local -a qemu

	kernel=$(kbuild_dir "$which")/arch/x86/boot/bzImage
	[ -f "$kernel" ] || die boot "$kernel missing: run 'make vmtest' first"
	accel=${ACCEL:-$(probe_accel "$kernel")}
	case "$accel" in
	kvm) cpu=host ;;
	tcg) cpu=max ;;
	*) die boot "ACCEL=$accel: use kvm or tcg" ;;
	esac
	qemu=(qemu-system-x86_64 -M pc -accel "$accel" -cpu "$cpu" -smp 2 -m 1G
	      -nodefaults -display none -no-reboot
	      -kernel "$kernel" -initrd "$O/initramfs.cpio.gz"
	      -append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4 vmtest.mode=$mode $append")
	echo "[boot] $which kernel, $accel, console log: $console"
	if [ "$mode" = shell ]; then
		"${qemu[@]}" -serial mon:stdio
		return
	fi
	local -a st
	set +e
	timeout -k 5 "$VM_TIMEOUT" "${qemu[@]}" -serial stdio </dev/null |
		tee "$console"
	st=("${PIPESTATUS[@]}")
	set -e
	VM_RC=${st[0]}
}

stage_tests() {
	local which=$1 console=$O/console-$1.log tests=() summary append
	local guest_errors=() nsel t

	mapfile -t tests < <(select_tests)
	nsel=${#tests[@]}
	[ "$nsel" -gt 0 ] || die tests "no installed test matches T='$T' ($(tr '\n' ' ' <"$KST_INSTALL/kselftest-list.txt"))"
	for t in "${tests[@]}"; do
		[ -x "$KST_INSTALL/${t%%:*}/${t#*:}" ] ||
			die tests "test binary $KST_INSTALL/${t%%:*}/${t#*:} missing: rebuild with 'make selftests'" "$LOGS/selftests.log"
	done
	: "${VM_TIMEOUT:=$(( ${SETTINGS_TIMEOUT:-$(settings_timeout)} * nsel + 60 ))}"
	append="vmtest.tests=$(IFS=,; echo "${tests[*]}") ${VMTEST_APPEND:-}"
	boot_guest "$which" run "$console" "$append"

	if [ "$VM_RC" -eq 124 ] || [ "$VM_RC" -eq 137 ]; then
		guest_errors+=("guest timed out after ${VM_TIMEOUT}s")
	elif [ "$VM_RC" -ne 0 ]; then
		guest_errors+=("QEMU exited with status $VM_RC")
	fi
	if grep -qE 'Kernel panic|Oops|BUG: |general protection fault|Call Trace:' "$console"; then
		guest_errors+=("kernel panic/oops: $(grep -m1 -E 'Kernel panic|Oops|BUG: |general protection fault' "$console" | tr -d '\r')")
	fi
	if ! grep -q '^vmtest-exit: ' "$console"; then
		guest_errors+=("guest never reported completion")
	fi
	echo
	for t in "${guest_errors[@]}"; do
		echo "[tests] ERROR: $t; last console lines ($console):"
		grep -v '^\s*$' "$console" | tail -n 15 | sed 's/^/    /'
	done
	local -a expect=()
	for t in "${tests[@]}"; do
		expect+=(--expect "${t#*:}")
	done
	summary=$(python3 "$HARNESS/ktap.py" --prefix vmtest "${expect[@]}" \
		--results "$O/results-$which.tsv" "$console" || true)
	grep -v '^vmtest: ' <<<"$summary" || true
	report_summary "$(tail -n1 <<<"$summary")" "${#guest_errors[@]}"
}

# report_summary "vmtest: P passed, F failed, S skipped" EXTRA-FAILURES:
# print the one closing line, exit non-zero on any failure.
report_summary() {
	local line=$1 extra=$2 p f s

	if [[ $line =~ ^vmtest:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}; s=${BASH_REMATCH[3]}
	else
		p=0; f=1; s=0
		echo "[tests] ERROR: the KTAP parser gave no summary: $line"
	fi
	f=$((f + extra))
	echo "vmtest: $p passed, $f failed, $s skipped"
	[ "$f" -eq 0 ]
}

cmd_run() {
	local which=${1:-after}

	stage_build "$which"
	if [ "$which" != after ]; then
		stage_config after
		stage_kernel after
	fi
	stage_selftests
	stage_initramfs
	stage_tests "$which"
}

# Boot an already built kernel with the installed tests (no build stages).
cmd_test() {
	local which=${1:-after}

	stage_initramfs
	stage_tests "$which"
}

cmd_shell() {
	local append=

	stage_build after
	stage_selftests
	stage_initramfs
	if [ -n "$T" ]; then
		append="vmtest.tests=$(IFS=,; mapfile -t s < <(select_tests); echo "${s[*]}")"
	fi
	boot_guest after shell "$O/console-shell.log" "$append"
}

# --------------------------------------------------------------------------
# make series: export the after tree to patches/, keeping the cover letter's
# text (patches/ is the single source of truth, the cover letter included).

cmd_series() {
	local tree=$TREES/after cover=$PATCHES_DIR/0000-cover-letter.patch subject body n

	[ -d "$tree" ] || die series "no after tree: run 'make vmtest' first"
	check_clean "$tree" series
	n=$(git -C "$tree" rev-list --count before..HEAD)
	[ "$n" -gt 0 ] || die series "the after tree has no commits on top of 'before'"
	subject="*** SUBJECT HERE ***"
	body="*** BLURB HERE ***"
	if [ -f "$cover" ]; then
		# The Subject: header, unfolded.
		subject=$(awk '/^Subject: / {s = $0; next}
			s != "" && /^[ \t]/ {sub(/^[ \t]+/, " "); s = s $0; next}
			s != "" {print s; exit}' "$cover" | sed 's/^Subject: \[[^]]*\] //')
		# The blurb: after the headers, up to the shortlog.
		body=$(awk '
			!hdr && /^$/ {hdr = 1; next}
			hdr && /^[^ ].* \([0-9]+\):$/ {exit}
			hdr {print}' "$cover")
	fi
	git -C "$tree" config branch.after.description "$subject

$body"
	rm -f "$PATCHES_DIR"/*.patch
	mkdir -p "$PATCHES_DIR"
	# The cover letter's Date: is the last commit's, so that an unchanged
	# series exports to identical files.
	GIT_COMMITTER_DATE=$(git -C "$tree" log -1 --format=%cI HEAD) \
	git -C "$tree" format-patch -q --cover-letter --cover-from-description=subject \
		--subject-prefix="PATCH v2" --base=before --zero-commit \
		-o "$PATCHES_DIR" before..HEAD
	git -C "$tree" rev-parse HEAD >"$STAMPS/after.exported"
	say series "exported $n patch(es) and a cover letter to $PATCHES_DIR"
}

cmd_paths() {
	echo "before-tree=$TREES/before"
	echo "after-tree=$TREES/after"
	echo "before-kernel=$(kbuild_dir before)/arch/x86/boot/bzImage"
	echo "after-kernel=$(kbuild_dir after)/arch/x86/boot/bzImage"
	echo "before-headers=$(kbuild_dir before)/usr"
	echo "after-headers=$(kbuild_dir after)/usr"
	echo "kselftest-install=$KST_INSTALL"
	echo "initramfs=$O/initramfs.cpio.gz"
	echo "console-log=$O/console-after.log"
	echo "before-console-log=$O/console-before.log"
	echo "logs=$LOGS"
}

main() {
	local cmd=${1:-run}

	shift || true
	mkdir -p "$LOGS" "$STAMPS" "$TREES"
	case "$cmd" in
	run) cmd_run "$@" ;;
	test) cmd_test "$@" ;;
	shell) cmd_shell ;;
	prepare) stage_prepare ;;
	build) stage_build "$@" ;;
	selftests) stage_selftests ;;
	series) cmd_series ;;
	paths) cmd_paths ;;
	deps) stage_deps "$@" ;;
	*) echo "usage: $0 run|shell|prepare|build|selftests|series|paths|deps" >&2
	   exit 2 ;;
	esac
}

main "$@"; exit
