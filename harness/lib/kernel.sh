# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: [config] [kernel], tinyconfig plus the fragments,
# and the kernel build.

# sh -c '...' sh ARGS: the single quotes are meant.
# shellcheck disable=SC2016

# config_fragments TREE: "base PATH" and "check PATH" lines, in merge
# order.  The base is tinyconfig (its options may be overridden later: the
# debug variant turns SLUB_TINY off); every line of a "check" fragment must
# be in the final .config.  Harness fragments: vm.config, the arch's
# (harness/config/arch/$ARCH.config), the variant's (common.sh), each
# followed by its arch part (arch/$ARCH-NAME.config) if there is one.
config_fragments() {
	local tree=$1 f

	echo "base $tree/kernel/configs/tiny-base.config"
	echo "base $tree/kernel/configs/tiny.config"
	[ -z "$ARCH_TINY_CONFIG" ] || echo "base $tree/$ARCH_TINY_CONFIG"
	echo "check $HARNESS/config/vm.config"
	[ -z "$ARCH_CONFIG" ] || echo "check $HARNESS/config/$ARCH_CONFIG"
	echo "check $tree/tools/testing/selftests/seccomp/config"
	for f in "${VARIANT_FRAGMENT_LIST[@]}"; do
		echo "check $HARNESS/config/$f"
		# The variant's part for this arch, if it has one.
		[ ! -f "$HARNESS/config/arch/$ARCH-$f" ] ||
			echo "check $HARNESS/config/arch/$ARCH-$f"
	done
}

# check_config KB FRAGMENT...: every option the fragments ask for must be
# in the final .config.
check_config() {
	local kb=$1 line opt val missing=()

	shift
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
	done < <(cat "$@")
	if [ "${#missing[@]}" -gt 0 ]; then
		die config "options dropped by olddefconfig (a dependency is missing): ${missing[*]} (fragments: ${*#"$TOP/"}; config: $kb/.config)"
	fi
}

# The compiler cache of every kernel build: Debian's ccache, through its
# directory of compiler names (gcc, clang: /usr/lib/ccache), its cache
# under build/ccache.  The kernels differ in a few files: a kernel that
# shares most of its sources with one built before costs the files that
# differ and the link.  The build directory of each kernel is inside its
# tree (kbuild_dir), so the command lines, and with them ccache's keys, are
# the same in every tree; the tools that kbuild builds with absolute paths
# (objtool) get them relative through CCACHE_BASEDIR, and from the build
# directory the relative path to its tree never names the tree.  Without -g
# (no DEBUG_INFO here) an object does not depend on the directory it was
# compiled in: CCACHE_NOHASHDIR.  Two trees whose headers differ in
# comments or unused #defines only (before, after and stock differ so in
# include/uapi/linux/seccomp.h) share objects too: harness/ccache-cpp.sh
# takes the line numbers out of what ccache hashes.
# CCACHE_DISABLE=1 builds without it; CCACHE_MAXSIZE sizes it.
CCACHE_DIR=${CCACHE_DIR:-$O/ccache}
: "${CCACHE_MAXSIZE:=5G}"
CCACHE_BIN_DIR=/usr/lib/ccache

# kmake TREE KB ARGS...: make in TREE with output in KB, for this arch,
# through ccache.  KMAKE_STATS=FILE: ccache's counters of this make only
# (its stats log; ccache_summary reads it).
# DEBUG= (empty, as without DEBUG=1): DEBUG=1, in the environment or in
# MAKEFLAGS from 'make vmtest DEBUG=1', changes the flags of objtool's
# libsubcmd (tools/lib/subcmd/Makefile), and a rebuilt objtool rebuilds
# every object of the kernel.
kmake() {
	local tree=$1 kb=$2
	local -a arch_args cache=()

	shift 2
	read -ra arch_args <<<"$KMAKE_ARGS"
	if [ -z "${CCACHE_DISABLE:-}" ]; then
		[ -d "$CCACHE_BIN_DIR" ] ||
			die kernel "$CCACHE_BIN_DIR missing: install ccache ('make deps'), or build without it: CCACHE_DISABLE=1"
		cache=(PATH="$CCACHE_BIN_DIR:$PATH" CCACHE_DIR="$CCACHE_DIR"
		       CCACHE_MAXSIZE="$CCACHE_MAXSIZE" CCACHE_NOHASHDIR=1 CCACHE_BASEDIR="$O"
		       CCACHE_PREFIX_CPP="$HARNESS/ccache-cpp.sh"
		       CCACHE_STATSLOG="${KMAKE_STATS:-}")
	fi
	env -u DEBUG "${cache[@]}" make -C "$tree" O="$kb" "${arch_args[@]}" DEBUG= "$@"
}

# ccache_summary STATSLOG: "ccache H hits, M misses" of the compilations
# logged there, or nothing.
ccache_summary() {
	[ -s "$1" ] || return 0
	CCACHE_DIR=$CCACHE_DIR CCACHE_STATSLOG=$1 ccache --show-log-stats 2>/dev/null |
		awk '$1 == "Hits:" {h = $2} $1 == "Misses:" {m = $2}
		     END {if (h != "" || m != "") printf "ccache %d hits, %d misses", h, m}'
}

# link_kbuild WHICH: build/kbuild/NAME, a link to WHICH's build directory
# (a directory there, from before the builds moved into the trees, goes).
link_kbuild() {
	local link kb

	kb=$(kbuild_dir "$1")
	link=$O/kbuild/$(kbuild_name "$1")
	[ "$link" != "$kb" ] || return 0
	mkdir -p "$O/kbuild"
	if [ -d "$link" ] && [ ! -L "$link" ]; then
		rm -rf --one-file-system "$link"
	fi
	ln -sfn "$(realpath --relative-to="$O/kbuild" "$kb")" "$link"
}

stage_config() {
	local which=$1 name tree kb id kind f
	local -a frags=() checked=() names=() arch_args

	read -ra arch_args <<<"$KMAKE_ARGS"

	name=$(kbuild_name "$which")
	tree=$(tree_dir "$which")
	kb=$(kbuild_dir "$which")
	while read -r kind f; do
		[ -f "$f" ] || die config "config fragment $f missing"
		frags+=("$f")
		if [ "$kind" = check ]; then
			checked+=("$f")
			f=${f#"$HARNESS/config/"}
			names+=("${f#"$tree/tools/testing/selftests/"}")
		fi
	done < <(config_fragments "$tree")
	# The make variables are part of the config too (ARCH=, LLVM=).
	id=$( { echo "$KMAKE_ARGS"; cat "${frags[@]}"; } | sha256sum | cut -d' ' -f1)
	if [ -f "$kb/.config" ] && [ "$(cat "$STAMPS/config-$name" 2>/dev/null)" = "$id" ]; then
		say config "$name: unchanged ($kb/.config)"
		return
	fi
	mkdir -p "$kb"
	link_kbuild "$which"
	# merge_config.sh runs make itself: the arch's variables go in its
	# environment.
	run_logged config "$LOGS/config-$name.log" \
		env "${arch_args[@]}" sh -c 'cd "$1" && shift && scripts/kconfig/merge_config.sh -n -O "$@"' \
		sh "$tree" "$kb" "${frags[@]}"
	check_config "$kb" "${checked[@]}"
	echo "$id" >"$STAMPS/config-$name"
	say config "$name: tinyconfig + ${names[*]} merged ($kb/.config)"
}

# A kernel's first build starts from a copy of another kernel's build
# directory, when one is built with the same .config at its tree's HEAD
# (the stamp built-NAME): kbuild then only redoes what depends on the files
# in which the two trees differ, and ccache gives most of that back.  kbuild
# compares times, not contents: the copy's files all get one time, after
# kbuild's "prepare" has rebuilt the host tools that recorded the other
# tree's absolute paths (objtool), and the files that differ between the
# trees a later one.  Every other object is then the one the other kernel
# compiled from the same source.  SEED=0 builds from nothing.

# seed_kbuild SRC-TREE SRC-KB DST-TREE DST-KB LOG: make DST-KB, which has
# not been built, a copy of SRC-KB for DST-TREE, as above.  Both trees are
# clean checkouts of the same repository; SRC-KB is built at SRC-TREE's
# HEAD.
seed_kbuild() {
	local stree=$1 skb=$2 dtree=$3 dkb=$4 log=$5 t f
	local -a differ

	rm -rf "$dkb"
	cp -a "$skb" "$dkb"
	# The tools' own build records absolute paths.
	grep -rlZ --exclude='*.o' --exclude='*.a' "$stree/" "$dkb" |
		xargs -0 -r sed -i "s|$stree/|$dtree/|g"
	t=$(date +%s)
	find "$dkb" -exec touch -h -d "@$t" {} +
	kmake "$dtree" "$dkb" -j"$JOBS" prepare >"$log" 2>&1 || return 1
	t=$(( $(date +%s) + 1 ))
	find "$dkb" -path "$dkb/tools" -prune -o -exec touch -h -d "@$t" {} +
	mapfile -t differ < <(git -C "$dtree" diff --name-only \
		"$(git -C "$stree" rev-parse HEAD)" "$(git -C "$dtree" rev-parse HEAD)")
	for f in "${differ[@]}"; do
		[ ! -e "$dtree/$f" ] || touch -d "@$((t + 1))" "$dtree/$f"
	done
	# Nothing kbuild looks at may be newer than the sources just touched.
	while [ "$(date +%s)" -le $((t + 1)) ]; do
		sleep 1
	done
	echo "seeded from $skb, ${#differ[@]} file(s) differ" >>"$log"
}

# seed_from WHICH: a kernel of the table, of this arch and variant, that
# WHICH's first build can start from (see above), or nothing.
seed_from() {
	local which=$1 k kb

	for k in $(kernel_names); do
		[ "$k" != "$which" ] || continue
		kb=$(kbuild_dir "$k")
		if [ -f "$kb/$KIMAGE" ] && cmp -s "$kb/.config" "$(kbuild_dir "$which")/.config" &&
		   [ "$(cat "$STAMPS/built-$(kbuild_name "$k")" 2>/dev/null)" = \
		     "$(git -C "$(tree_dir "$k")" rev-parse HEAD)" ] &&
		   [ -z "$(git -C "$(tree_dir "$k")" status --porcelain --untracked-files=no)" ]; then
			echo "$k"
			return
		fi
	done
}

stage_kernel() {
	local which=$1 name tree kb stats cc seed=

	name=$(kbuild_name "$which")
	tree=$(tree_dir "$which")
	kb=$(kbuild_dir "$which")
	stats=$LOGS/ccache-$name.stats
	: >"$stats"
	rm -f "$STAMPS/built-$name"
	if [ ! -f "$kb/vmlinux" ] && [ "${SEED:-1}" != 0 ]; then
		seed=$(seed_from "$which")
	fi
	if [ -n "$seed" ]; then
		echo "[kernel] $name: first build, from a copy of $(kbuild_name "$seed")'s build directory (log: $LOGS/seed-$name.log)"
		cp "$kb/.config" "$LOGS/seed-$name.config"
		seed_kbuild "$(tree_dir "$seed")" "$(kbuild_dir "$seed")" "$tree" "$kb" \
			"$LOGS/seed-$name.log" ||
			die kernel "copying $(kbuild_name "$seed")'s build directory failed; SEED=0 builds $name from nothing" \
				"$LOGS/seed-$name.log"
		cmp -s "$kb/.config" "$LOGS/seed-$name.config" ||
			die kernel "the copied .config differs from $name's" "$LOGS/seed-$name.log"
	fi
	echo "[kernel] building $name (log: $LOGS/kernel-$name.log)"
	KMAKE_STATS=$stats run_logged kernel "$LOGS/kernel-$name.log" \
		kmake "$tree" "$kb" -j"$JOBS" all
	[ -f "$kb/$KIMAGE" ] ||
		die kernel "$kb/$KIMAGE was not built" "$LOGS/kernel-$name.log"
	git -C "$tree" rev-parse HEAD >"$STAMPS/built-$name"
	cc=$(ccache_summary "$stats")
	[ -z "$seed" ] || cc="${cc:-no ccache}, started from the build of $(kbuild_name "$seed")"
	# What this build took from the cache, for make check's part times.
	echo "$name: ${cc:-no ccache}" >"$LOGS/ccache-$name.summary"
	say kernel "$name: $O/kbuild/$name/$KIMAGE, headers in $O/kbuild/$name/usr/include${cc:+, $cc}"
}
