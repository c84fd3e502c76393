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

# kmake TREE KB ARGS...: make in TREE with output in KB, for this arch.
# DEBUG= (empty, as without DEBUG=1): DEBUG=1, in the environment or in
# MAKEFLAGS from 'make vmtest DEBUG=1', changes the flags of objtool's
# libsubcmd (tools/lib/subcmd/Makefile), and a rebuilt objtool rebuilds
# every object of the kernel.
kmake() {
	local tree=$1 kb=$2
	local -a arch_args

	shift 2
	read -ra arch_args <<<"$KMAKE_ARGS"
	env -u DEBUG make -C "$tree" O="$kb" "${arch_args[@]}" DEBUG= "$@"
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
	# merge_config.sh runs make itself: the arch's variables go in its
	# environment.
	run_logged config "$LOGS/config-$name.log" \
		env "${arch_args[@]}" sh -c 'cd "$1" && shift && scripts/kconfig/merge_config.sh -n -O "$@"' \
		sh "$tree" "$kb" "${frags[@]}"
	check_config "$kb" "${checked[@]}"
	echo "$id" >"$STAMPS/config-$name"
	say config "$name: tinyconfig + ${names[*]} merged ($kb/.config)"
}

stage_kernel() {
	local which=$1 name tree kb

	name=$(kbuild_name "$which")
	tree=$(tree_dir "$which")
	kb=$(kbuild_dir "$which")
	echo "[kernel] building $name (log: $LOGS/kernel-$name.log)"
	run_logged kernel "$LOGS/kernel-$name.log" kmake "$tree" "$kb" -j"$JOBS" all
	[ -f "$kb/$KIMAGE" ] ||
		die kernel "$kb/$KIMAGE was not built" "$LOGS/kernel-$name.log"
	say kernel "$name: $kb/$KIMAGE, headers in $kb/usr/include"
}
