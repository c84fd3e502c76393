# shellcheck shell=bash disable=SC2034
# (assignments: common.sh reads them)
# SPDX-License-Identifier: GPL-2.0
# The kernels: one line each, and the only place that says what a kernel
# is; read with kernel_field and kernel_names below.  Sourced by
# harness/lib/common.sh and harness/check.sh.
#
#   name     its tree is build/trees/NAME; its builds (one per arch and
#            variant) are build/trees/NAME/.kbuild[-arm64][-debug], linked
#            from build/kbuild/NAME[-arm64][-debug]
#   base     where the tree starts: "import" (the stock source as imported,
#            tag "stock") or another kernel of this table (its tree's HEAD)
#   patches  the directory (in the repository) of the *.patch files applied
#            on base, 0000-cover-letter.patch left out; empty: none, and
#            the tree is a detached checkout of base
#   export   the subject prefix that `make series` exports the tree's
#            commits with, back to its patch directory; such a tree is
#            where that series is edited, and is never reset while it holds
#            commits that are not exported; empty: never exported
#   suites   the trees whose seccomp_bpf the guest runs too, besides the
#            after tree's (which every kernel boots): NAME's as
#            seccomp:seccomp_bpf_NAME, built like the after tree's
#   what     one line for people (make paths, make help)
#
# Adding a kernel is adding a line: `make vmtest K=NAME` builds and boots
# it, `make -s paths` lists it.
KERNELS='
# name | base   | patches | export    | suites | what
before | import | base    |           |        | the stock source without its CONTINUE (base/): the tree the series applies to
after  | before | patches | PATCH v4  |        | before plus the series (patches/)
stock  | import |         |           | nested | the untouched stock source: mainline CONTINUE, and the base of the RFC
nested | import | rfc     | RFC PATCH | nested | stock plus the RFC (rfc/): continued syscalls meet the older filters that opted in
'

# kernel_field NAME FIELD: base, patches, export, suites or what of kernel
# NAME (nothing for an empty field); fails for a name not in the table.
kernel_field() {
	awk -F'|' -v name="$1" -v field="$2" '
		function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
		/^[ \t]*#/ || NF < 6 { next }
		trim($1) == name {
			i = field == "base" ? 2 : field == "patches" ? 3 : field == "export" ? 4 : \
			    field == "suites" ? 5 : 6
			print trim($i); found = 1; exit
		}
		END { exit !found }' <<<"$KERNELS"
}

# kernel_names: the names of the table, in its order.
kernel_names() {
	awk -F'|' '/^[ \t]*#/ || NF < 6 { next } { gsub(/[ \t]/, "", $1); print $1 }' <<<"$KERNELS"
}

# is_kernel NAME: is NAME a kernel of the table?
is_kernel() { kernel_field "$1" base >/dev/null; }
