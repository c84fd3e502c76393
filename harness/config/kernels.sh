# shellcheck shell=bash disable=SC2034
# (assignments: common.sh reads them)
# SPDX-License-Identifier: GPL-2.0
# The kernels: one line each, and the only place that says what a kernel
# is.  Sourced by harness/lib/common.sh; read with kernel_field.
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
#   what     one line for people (make paths, make help)
#
# Adding a kernel is adding a line: `make vmtest K=NAME` builds and boots
# it, `make -s paths` lists it.
KERNELS='
# name | base   | patches | export   | what
before | import | base    |          | the stock source without its CONTINUE (base/): the tree the series applies to
after  | before | patches | PATCH v4 | before plus the series (patches/)
stock  | import |         |          | the untouched stock source: mainline CONTINUE, and the base of an RFC
'
