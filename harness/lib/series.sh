# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by vmtest.sh: make series (export the after tree to patches/,
# keeping the cover letter's text: patches/ is the single source of truth,
# the cover letter included) and make paths.

# The posting: its subject prefix, and the recipients beyond those that
# b4 finds with get_maintainer.pl.  linux-api for the uapi change, and the
# people of the v1 thread, at their addresses in MAINTAINERS; bpf@ is only
# a keyword hit (K: in MAINTAINERS) of the word "bpf" in seccomp code.
SERIES_PREFIX="PATCH v3"
SERIES_EXTRA_CC=(
	"linux-api@vger.kernel.org"
	"Christian Brauner <brauner@kernel.org>"
	"Tycho Andersen <tycho@tycho.pizza>"
	"Jann Horn <jannh@google.com>"
)
SERIES_DROP='^(bpf@vger\.kernel\.org)$'

# series_recipients: "to ADDR" and "cc ADDR" lines.  b4 prep --auto-to-cc
# runs get_maintainer.pl as b4 does for a posting; it runs in a throwaway
# clone (b4 keeps its state in the branch), cached by the files the series
# touches and MAINTAINERS.
series_recipients() {
	local tree=$TREES/after key cache=$STAMPS/recipients tmp line

	key=$( { git -C "$tree" diff --name-only before..HEAD; sha256sum <"$tree/MAINTAINERS"; } |
		sha256sum | cut -d' ' -f1)
	if [ "$(head -n1 "$cache" 2>/dev/null)" != "$key" ]; then
		command -v b4 >/dev/null || die series "b4 not found: apt-get install b4"
		tmp=$(mktemp -d "$O/b4.XXXXXX")
		# shellcheck disable=SC2016 # sh -c with positional arguments
		run_logged series "$LOGS/series-b4.log" sh -c '
			git clone -q --shared -b after "$1" "$2" &&
			cd "$2" && git branch -q before origin/before &&
			git config b4.prep-cover-strategy branch-description &&
			b4 prep -e before && b4 prep --auto-to-cc' sh "$TREES/before" "$tmp/t"
		{
			echo "$key"
			git -C "$tmp/t" config branch.after.description |
				sed -n 's/^To: /to /p; s/^Cc: /cc /p'
		} >"$cache"
		rm -rf "$tmp"
	fi
	tail -n +2 "$cache" | while read -r kind line; do
		[[ $line =~ $SERIES_DROP ]] || [ "$line" = "$(git -C "$tree" log -1 --format='%an <%ae>')" ] ||
			echo "$kind $line"
	done
	printf 'cc %s\n' "${SERIES_EXTRA_CC[@]}"
}

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
	local -a rcpt=()
	local kind addr
	while read -r kind addr; do
		rcpt+=("--$kind=$addr")
	done < <(series_recipients)
	rm -f "$PATCHES_DIR"/*.patch
	mkdir -p "$PATCHES_DIR"
	# The cover letter's Date: is the last commit's, so that an unchanged
	# series exports to identical files.
	# Its From: is the series' author, not the harness's identity.
	GIT_COMMITTER_DATE=$(git -C "$tree" log -1 --format=%cI HEAD) \
	GIT_AUTHOR_NAME=$(git -C "$tree" log -1 --format=%an HEAD) \
	GIT_AUTHOR_EMAIL=$(git -C "$tree" log -1 --format=%ae HEAD) \
	GIT_COMMITTER_NAME=$(git -C "$tree" log -1 --format=%an HEAD) \
	GIT_COMMITTER_EMAIL=$(git -C "$tree" log -1 --format=%ae HEAD) \
	git -C "$tree" format-patch -q --cover-letter --cover-from-description=subject \
		--subject-prefix="$SERIES_PREFIX" --base=before --zero-commit \
		"${rcpt[@]}" -o "$PATCHES_DIR" before..HEAD
	git -C "$tree" rev-parse HEAD >"$STAMPS/after.exported"
	say series "exported $n patch(es) and a cover letter to $PATCHES_DIR (${#rcpt[@]} recipients, from b4 prep --auto-to-cc)"
}

cmd_paths() {
	echo "before-tree=$TREES/before"
	echo "after-tree=$TREES/after"
	echo "before-kernel=$(kbuild_dir before)/$KIMAGE"
	echo "after-kernel=$(kbuild_dir after)/$KIMAGE"
	echo "before-headers=$(kbuild_dir before)/usr"
	echo "after-headers=$(kbuild_dir after)/usr"
	echo "kselftest-install=$KST_INSTALL"
	echo "initramfs=$O/initramfs.cpio.gz"
	echo "console-log=$O/console-after.log"
	echo "before-console-log=$O/console-before.log"
	echo "logs=$LOGS"
}
