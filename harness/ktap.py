#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse KTAP/TAP results out of a QEMU serial console log.

Usage: ktap.py [--prefix NAME] [--results FILE] [--expect NAME ...]
              [--ktap FILE] [--junit FILE] [--json FILE] [--meta KEY=VALUE]
              LOG

LOG is a console log ('-' = stdin): kernel messages, garbage and CR
characters may be mixed in anywhere.  The KTAP stream starts at the first
"TAP version N" / "KTAP version N" line (else at the first plan line).
Nesting is recognised both as run_kselftest.sh emits it (every line of a
test binary prefixed by "# ") and as KTAP v1 indentation (4 spaces).

Leaf test cases are counted: a test with nested results contributes its
subtests (recursively), one without counts as one leaf.  Leaf names are
"<top>:<sub>..." with the "selftests: <collection>: " prefix stripped.
Missing results (short plans, truncated logs) count as failures, and so does
a parent reported "not ok" although none of its subtests failed.

Output: "FAIL/SKIP/XFAIL <name>: <reason>" per non-plain-pass leaf, then one
line "<prefix>: N passed, N failed, N skipped" (xfail counts as passed).
Exit status: 0 if nothing failed, 1 if something did, 2 on usage/IO error.

For machines: --ktap writes the cleaned KTAP stream (the console from the
first version line on, kernel messages of a user space stream left out),
--junit a JUnit XML file (one <testsuite> per top-level test, one
<testcase> per leaf, a failure's or skip's reason as its message and the
test's own output lines as its text; harness/tests/schema/junit.xsd is its
schema), --json a summary: counts, the failed and skipped leaves, and each
--meta KEY=VALUE (a VALUE of digits is a number).
"""

import argparse
import json
import re
import sys
from xml.sax.saxutils import escape, quoteattr

PASS, FAIL, SKIP, XFAIL = "pass", "fail", "skip", "xfail"

# "[   12.345678] " or "[   12.345678][    T1] ": a printk line prefix
TIMESTAMP = re.compile(r"\[\s*\d+\.\d+\](?:\[\s*[A-Z]?\d+\])? ?")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]")
# What user space writes to /dev/kmsg in the guest (run_kselftest.sh, the
# programs' start marks): printed by a kernel without printk timestamps, it
# can land in the middle of a user space line still in the tty's buffer.
KMSG = re.compile(r"(?:kselftest: Running tests in \S+"
                  r"|(?:notif-fuzz|notif-stress|nested-fuzz|nested-stress)"
                  r": start)$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
VERSION = re.compile(r"^K?TAP version \d+\s*$")
PLAN = re.compile(r"^1\.\.(\d{1,5})\s*(?:#\s*(.*))?$")  # no garbled 1..9999999
RESULT = re.compile(r"^(not ok|ok)\s+(\d+)\b\s*(?:-\s+)?(.*)$")
DIRECTIVE = re.compile(r"(?:^|\s)#\s*(.*)$")
BAIL = re.compile(r"^Bail out!\s*(.*)$")
# A child announced by its parent: run_kselftest's "# selftests: C: T"
# header, or kselftest_harness' "#  RUN  fixture.test ..." line.
STARTED = re.compile(r"^selftests:\s*\S+:\s*(\S+)\s*$"
                     r"|^\s*RUN\s+(\S+)\s+\.\.\.$")
SELFTESTS_PREFIX = re.compile(r"^selftests:\s*[^:\s]+:\s*")


class Test:
    """One result line: number, name, status, reason and nested Level."""

    def __init__(self, num, name, status, reason, children=None,
                 reported=True, output=None):
        self.num, self.name, self.status = num, name, status
        self.reason, self.children = reason, children
        self.reported = reported    # False: made up for a missing result
        self.output = output or []  # the test's own lines before its result


class Level:
    """The results of one (K)TAP stream at one nesting depth."""

    def __init__(self):
        self.plan = None
        self.plan_reason = ""
        self.tests = []
        self.bail = None
        self.started = None     # child announced, no result yet
        self.announced = []     # all children ever announced
        self.log = []           # output since the last result at this depth

    def next_num(self):
        """Number the next result would have."""
        return max((t.num for t in self.tests), default=0) + 1

    def missing(self, why):
        """Failed placeholder Tests for planned results that never came."""
        seen = {t.num for t in self.tests}
        nums = [k for k in range(1, (self.plan or 0) + 1) if k not in seen]
        notes = [why] if why else []
        if self.bail is not None:
            notes.append(("Bail out! " + self.bail).strip())
        out = []
        for k in nums:
            extra = list(notes)
            if self.started and not out:    # the first one was started
                extra.append("started: " + self.started)
            reason = "never reported"
            if extra:
                reason += " (%s)" % "; ".join(extra)
            out.append(Test(k, "<missing #%d>" % k, FAIL, reason,
                            reported=False))
        return out


def parse_result(text):
    """Turn the text of a result line into (num, name, status, reason)."""
    m = RESULT.match(text)
    ok, num, rest = m.group(1) == "ok", m.group(2), m.group(3)
    d = DIRECTIVE.search(rest)
    name = (rest[:d.start()] if d else rest).strip()
    directive = d.group(1).strip() if d else ""
    word = directive.split(" ", 1)[0].upper()
    if word in ("SKIP", "SKIPPED"):
        status, reason = SKIP, directive[len(word):].strip() or "skipped"
    elif word == "XFAIL" or (word == "TODO" and not ok):
        status, reason = XFAIL, directive[len(word):].strip() or "expected"
    elif word == "XPASS":
        status, reason = FAIL, directive
    elif ok:
        status, reason = PASS, ""
    else:
        status, reason = FAIL, directive or "not ok"
    return int(num), name, status, reason


def clean_lines(lines):
    """Yield (from_kernel, text) for each console line.

    CRs, ANSI escapes and control characters are dropped.  A printk line
    that interrupted a user space line in the middle is split off, and the
    head of the interrupted line is joined to the line that follows it.
    """
    carry = ""
    for raw in lines:
        line = CONTROL.sub("", ANSI.sub("", raw.replace("\r", "")))
        m = TIMESTAMP.search(line)
        k = KMSG.search(line)
        if m:
            carry += line[:m.start()]
            yield True, line[m.end():]
        elif k and k.start() > 0:
            carry += line[:k.start()]
            yield True, line[k.start():]
        else:
            yield False, carry + line
            carry = ""
    if carry:
        yield False, carry


def split_depth(line):
    """Split a line into (depth, content): one level per '# ' or indent."""
    depth = 0
    while True:
        if line.startswith("# ") or line == "#":
            line = line[2:]
        elif line.startswith("    "):
            line = line[4:]
        elif line.startswith("\t"):
            line = line[1:]
        else:
            return depth, line.rstrip()
        depth += 1


class Parser:
    """Feed console lines in, get the top-level streams out."""

    def __init__(self):
        self.streams = []   # top-level Levels, one per stream at depth 0
        self.stack = []     # open Levels, index = depth
        self.kernel = False  # stream printed by the kernel (timestamped)?
        self.ktap = []      # the stream's lines, as read

    def wrap_orphans(self, depth):
        """Close levels >= depth whose parent result never came."""
        while len(self.stack) > max(depth, 1):
            level = self.stack.pop()
            parent = self.stack[-1]
            num = parent.next_num()
            name = parent.started or "<missing #%d>" % num
            parent.tests.append(Test(num, name, FAIL, "never reported", level,
                                     reported=False, output=parent.log))
            parent.started = None
            parent.log = []

    def new_level(self, depth):
        """Start a fresh stream at depth (a new top-level one at 0)."""
        self.wrap_orphans(depth)
        if depth == 0:
            self.stack = []
        while len(self.stack) <= depth:
            self.stack.append(Level())
            if len(self.stack) == 1:
                self.streams.append(self.stack[0])

    def feed(self, from_kernel, line):
        """Process one cleaned console line."""
        depth, text = split_depth(line)
        if not self.stack:
            if depth or not (VERSION.match(text) or PLAN.match(text)):
                return  # not in a stream yet
            self.kernel = from_kernel
        elif from_kernel and not self.kernel:
            return      # kernel noise in a user space stream
        self.ktap.append(line)
        if VERSION.match(text):
            self.new_level(depth)
        elif PLAN.match(text):
            # a plan after results ends the stream: "1..N" starts a new one
            if depth >= len(self.stack) or self.stack[depth].plan is not None:
                self.new_level(depth)
            m = PLAN.match(text)
            level = self.stack[depth]
            level.plan = int(m.group(1))
            level.plan_reason = re.sub(r"^SKIP\b\s*", "", m.group(2) or "")
        elif depth >= len(self.stack):
            if depth == len(self.stack):
                m = STARTED.match(text)
                if m:
                    name = m.group(1) or m.group(2)
                    self.stack[-1].started = name
                    self.stack[-1].announced.append(name)
            self.stack[-1].log.append(text)
        elif RESULT.match(text):
            self.wrap_orphans(depth + 2)
            num, name, status, reason = parse_result(text)
            level = self.stack[depth]
            children = (self.stack[depth + 1:] or [None])[0]
            del self.stack[depth + 1:]
            if children and status == SKIP and reason == "skipped":
                reason = children.plan_reason or reason
            level.tests.append(Test(num, name or "#%d" % num, status, reason,
                                    children, output=level.log))
            level.started = None
            level.log = []
        elif BAIL.match(text):
            self.stack[depth].bail = BAIL.match(text).group(1)

    def finish(self):
        """Close everything still open at the end of the log."""
        self.wrap_orphans(1)
        return self.streams


def leaves(test, prefix=""):
    """Yield (full name, status, reason, output) for the leaf cases."""
    name = SELFTESTS_PREFIX.sub("", test.name)
    name = prefix + ":" + name if prefix else name
    kids = []
    if test.children:
        why = test.reason if test.status == FAIL and test.reported else ""
        kids = test.children.tests + test.children.missing(why)
    if not kids:
        yield name, test.status, test.reason, test.output
        return
    failed = False
    for kid in kids:
        for leaf in leaves(kid, name):
            failed |= leaf[1] == FAIL
            yield leaf
    if test.status == FAIL and not failed:
        yield name, FAIL, test.reason, test.output


def evaluate(streams, expect):
    """All leaves of all streams, plus failures for missing things."""
    out = []
    if not streams:
        out.append(("<stream>", FAIL, "no KTAP output found", []))
    for level in streams:
        if level.plan is None and not level.tests:
            out.append(("<stream>", FAIL, "KTAP stream without results", []))
        for test in level.tests + level.missing(""):
            out.extend(leaves(test))
    # a test that was announced but never reported is already failed
    names = [t.name for s in streams for t in s.tests]
    names += [n for s in streams for n in s.announced]
    tops = set(names) | {SELFTESTS_PREFIX.sub("", n) for n in names}
    for name in expect:
        if name not in tops:
            out.append((name, FAIL, "never reported", []))
    return out


def split_name(name):
    """'top:sub:case' -> ('top', 'sub:case'); a lone name is both."""
    top, _, case = name.partition(":")
    return top.strip(), case.strip() or top.strip()


def junit(results, suite_name):
    """The results as JUnit XML text (see harness/tests/schema/junit.xsd)."""
    suites = {}
    for leaf in results:
        suites.setdefault(split_name(leaf[0])[0], []).append(leaf)

    def counts(leaves_):
        return (len(leaves_), sum(1 for x in leaves_ if x[1] == FAIL),
                sum(1 for x in leaves_ if x[1] == SKIP))

    n, f, k = counts(results)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<testsuites name=%s tests="%d" failures="%d" skipped="%d">'
           % (quoteattr(suite_name), n, f, k)]
    for top, leaves_ in suites.items():
        n, f, k = counts(leaves_)
        out.append('  <testsuite name=%s tests="%d" failures="%d" '
                   'errors="0" skipped="%d">' % (quoteattr(top), n, f, k))
        for name, status, reason, output in leaves_:
            case = '    <testcase classname=%s name=%s' % (
                quoteattr(top), quoteattr(split_name(name)[1]))
            text = escape("\n".join(output[-200:]))
            if status == FAIL:
                out.append(case + '>')
                out.append('      <failure message=%s type="fail">%s'
                           '</failure>' % (quoteattr(reason), text))
                out.append('    </testcase>')
            elif status == SKIP:
                out.append(case + '>')
                out.append('      <skipped message=%s/>' % quoteattr(reason))
                out.append('    </testcase>')
            else:
                out.append(case + '/>')
        out.append('  </testsuite>')
    out.append('</testsuites>')
    return "\n".join(out) + "\n"


def timed_out(reason, output):
    """Did a failed case end by a timeout (kselftest_harness's per-test
    one, or the runner's per-program one) rather than by a check?"""
    return bool(re.search(r"TIMEOUT|terminated by timeout",
                          " ".join([reason] + list(output or []))))


def summary_json(results, count, meta):
    """The JSON summary: counts, non-passing leaves, --meta values."""
    guest = [r for n, _, r, _ in results if n == "vmtest:guest"]
    doc = {"passed": count[PASS], "failed": count[FAIL] + len(guest),
           "skipped": count[SKIP], "total": len(results) - len(guest),
           "guest_errors": guest}
    doc["failures"] = [{"name": n, "reason": r,
                        "timeout": timed_out(r, out)}
                       for n, s, r, out in results if s == FAIL]
    doc["skips"] = [{"name": n, "reason": r}
                    for n, s, r, _ in results if s == SKIP]
    for item in meta:
        key, _, value = item.partition("=")
        doc[key] = int(value) if value.isdigit() else value
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write(path, text):
    """Write text to path; False (with a message) on failure."""
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        print("ktap.py: %s" % e, file=sys.stderr)
        return False
    return True


def main(argv=None):
    """Command line entry point; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prefix", default="ktap", help="closing line prefix")
    ap.add_argument("--results", metavar="FILE",
                    help="write '<name>\\t<PASS|FAIL|SKIP>' per leaf")
    ap.add_argument("--expect", metavar="NAME", action="append", default=[],
                    help="top-level test that must be reported (repeatable)")
    ap.add_argument("--ktap", metavar="FILE", help="write the KTAP stream")
    ap.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    ap.add_argument("--json", metavar="FILE", help="write a JSON summary")
    ap.add_argument("--meta", metavar="KEY=VALUE", action="append",
                    default=[], help="add KEY to the JSON (repeatable)")
    ap.add_argument("--guest-error", metavar="MSG", action="append",
                    default=[], help="a failure outside KTAP (a splat, a "
                    "timeout): a failed vmtest:guest case in --junit and "
                    "--json, not counted in the closing line (repeatable)")
    ap.add_argument("log", metavar="LOG", help="console log, '-' = stdin")
    args = ap.parse_args(argv)
    try:
        if args.log == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.log, "rb") as f:
                data = f.read()
    except OSError as e:
        print("ktap.py: %s" % e, file=sys.stderr)
        return 2
    parser = Parser()
    for from_kernel, line in clean_lines(data.decode("utf-8", "replace")
                                         .split("\n")):
        parser.feed(from_kernel, line)
    results = evaluate(parser.finish(), args.expect)

    count = {PASS: 0, FAIL: 0, SKIP: 0}
    for name, status, reason, _ in results:
        count[PASS if status == XFAIL else status] += 1
        if status != PASS:
            print("%s %s: %s" % (status.upper(), name, reason))
    word = {PASS: "PASS", XFAIL: "PASS", FAIL: "FAIL", SKIP: "SKIP"}
    guest = [("vmtest:guest", FAIL, msg, []) for msg in args.guest_error]
    files = [(args.results, lambda: "".join(
                "%s\t%s\n" % (n, word[s]) for n, s, _, _ in results)),
             (args.ktap, lambda: "".join(x + "\n" for x in parser.ktap)),
             (args.junit, lambda: junit(results + guest, args.prefix)),
             (args.json, lambda: summary_json(results + guest, count,
                                              args.meta))]
    for path, text in files:
        if path and not write(path, text()):
            return 2
    print("%s: %d passed, %d failed, %d skipped"
          % (args.prefix, count[PASS], count[FAIL], count[SKIP]))
    return 1 if count[FAIL] else 0


if __name__ == "__main__":
    sys.exit(main())
