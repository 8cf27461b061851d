#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""README.md and docs/*.md hold what they promise:

  1. every relative link points to a file of the tree, and every #anchor to a
     heading of its target (GitHub's rule: lowercase, punctuation dropped,
     spaces to '-', a repeated heading gets -1, -2, ...);
  2. every command in README's ```sh blocks that starts with vfio-claim (also
     after |, && or ;) parses: run with --help appended it must exit 0 (the
     option parser reads every option before acting on --help, so an unknown
     verb or option exits 64);
  3. every path of the tree that README names (tools/demo, conf/..., docs/...,
     man/...) exists;
  4. README.md has at most 250 lines, and its Quick start two commands, one
     of them what .ci/run runs;
  5. every ```conf block of README parses: vfio-claim check --config BLOCK on a
     fake tree made by mkfakesys reports no error of the kind "FILE:LINE: ...; rule
     ignored" or "; line ignored" (a rule that matches nothing there, or whose
     guard finds another device, is fine).

Usage: test-readme.py VFIO-CLAIM MKFAKESYS SOURCE-ROOT (TAP)."""

import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet_common import Env, check, diag_run, done, require_binaries, skip_all  # noqa: E402

require_binaries()
VFIO_CLAIM = os.path.abspath(sys.argv[1])
SRC = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.realpath(SRC)
README = os.path.join(SRC, "README.md")
if not os.path.exists(README):
    skip_all(f"no README.md in {SRC}")
MAX_LINES = 250

# Top-level directories of the tree whose files README may name.
TREE_DIRS = ("tools", "conf", "docs", "man", "test", "packaging", "systemd", "udev", "initramfs-hook", "lib",
             "cmd", "debian", ".ci")

FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")


def blocks(text):
    """[(info string, first line number, [lines])] of the fenced code blocks."""
    out, cur = [], None
    for n, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if cur is None and m:
            cur = (m.group(2), n + 1, [], m.group(1))
        elif cur is not None and line.strip().startswith(cur[3][:3]) and line.strip().strip(cur[3][0]) == "":
            out.append(cur[:3])
            cur = None
        elif cur is not None:
            cur[2].append(line)
    return out


def prose(text):
    """The lines outside fenced code blocks, with inline code blanked (links
    in code are not links). [(line number, line)]."""
    out, fence = [], None
    for n, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[:3]
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        out.append((n, re.sub(r"`[^`]*`", lambda m: " " * len(m.group(0)), line)))
    return out


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", s)  # a link keeps its text
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path):
    found, seen = set(), {}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for _, line in prose_keep_code(text):
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(2))
        k = seen.get(base, 0)
        seen[base] = k + 1
        found.add(base if k == 0 else f"{base}-{k}")
    return found


def prose_keep_code(text):
    """Like prose(), but inline code kept (headings' code counts for anchors)."""
    lines = text.split("\n")
    return [(n, lines[n - 1]) for n, _ in prose(text)]


md_files = [README] + sorted(glob.glob(os.path.join(SRC, "docs", "*.md")))

# 1. Links and anchors.
LINK = re.compile(r"\[(?:[^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
for md in md_files:
    rel_md = os.path.relpath(md, SRC)
    with open(md, encoding="utf-8") as f:
        text = f.read()
    for n, line in prose(text):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            dest = md if file_part == "" else os.path.normpath(os.path.join(os.path.dirname(md), file_part))
            where = f"{rel_md}:{n}: link '{target}'"
            if not check(os.path.exists(dest), f"{where} points to a file of the tree",
                         f"{dest} does not exist"):
                continue
            if not dest.startswith(SRC + os.sep):
                check(False, f"{where} stays inside the tree", dest)
                continue
            if anchor:
                if dest.endswith(".md"):
                    have = anchors(dest)
                    check(anchor in have, f"{where}: #{anchor} is a heading of {os.path.relpath(dest, SRC)}",
                          "headings' anchors there: " + " ".join(sorted(have)))
                else:
                    check(False, f"{where}: an anchor into a file that is not markdown", dest)

with open(README, encoding="utf-8") as f:
    readme = f.read()
readme_blocks = blocks(readme)

# 2. vfio-claim commands parse.
scratch = tempfile.mkdtemp(prefix="vfio-claim-readme.")
commands = 0
for info, first, lines in readme_blocks:
    if info not in ("sh", "shell", "bash", "console"):
        continue
    for i, line in enumerate(lines):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        line = re.sub(r"^[#$]\s+", "", line)
        for seg in re.split(r"\|\||&&|;|\|", line):
            seg = seg.strip()
            if not re.match(r"^vfio-claim(\s|$)", seg):
                continue
            commands += 1
            try:
                words = shlex.split(seg)
            except ValueError as e:
                check(False, f"README.md:{first + i}: '{seg}' is one shell command", e)
                continue
            argv = [VFIO_CLAIM] + words[1:]
            # add and remove change /etc and rebuild the initramfs: should
            # one ever act before --help, let it act on a scratch root.
            if len(words) > 1 and words[1] in ("add", "remove"):
                if "--root" not in words:
                    argv += ["--root", scratch]
                if "--no-rebuild" not in words:
                    argv += ["--no-rebuild"]
            argv.append("--help")
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=scratch,
                               env=dict(os.environ, LC_ALL="C"))
            r.cmd = " ".join(shlex.quote(a) for a in argv)
            check(r.returncode == 0, f"README.md:{first + i}: '{seg}' parses (with --help: exit 0)",
                  f"'{seg}' does not parse: exit {r.returncode} (64: unknown verb or option)\n" + diag_run(r))
check(commands >= 2, f"README's code blocks have vfio-claim commands ({commands})")

# CI runs the README's test command: what .ci/run execs is a Quick start command.
quick = re.search(r"^## Quick start\n(.*?)^## ", readme, re.S | re.M)
quick_cmds = set()
for info, first, lines in blocks(quick.group(1) if quick else ""):
    quick_cmds |= {re.sub(r"(^|\s)#.*$", "", line).strip() for line in lines} - {""}
ci = os.path.join(SRC, ".ci", "run")
if os.path.exists(ci):
    with open(ci, encoding="utf-8") as f:
        m = re.search(r"^exec (.+)$", f.read(), re.M)
    ci_cmd = m.group(1).strip() if m else ""
    check(ci_cmd in quick_cmds, f".ci/run's command '{ci_cmd}' is one of README's Quick start commands",
          "Quick start commands: " + ", ".join(sorted(quick_cmds)))
check(len(quick_cmds) == 2, f"README's Quick start has two commands ({len(quick_cmds)})", quick_cmds)

# 3. Paths of the tree that README names.
PATH = re.compile(r"(?<![\w./~$-])(?<!-o )((?:%s)/[\w.+-]+(?:/[\w.+-]+)*)" % "|".join(re.escape(d) for d in TREE_DIRS))
named = {}
for n, line in enumerate(readme.split("\n"), 1):
    for p in PATH.findall(line):
        p = p.rstrip(".")
        named.setdefault(p, n)
for p, n in sorted(named.items(), key=lambda x: x[1]):
    check(os.path.exists(os.path.join(SRC, p)), f"README.md:{n}: {p} exists in the tree")
check(len(named) >= 3, f"README names files of the tree ({len(named)})")

# 4. The length.
nlines = readme.count("\n") + (0 if readme.endswith("\n") else 1)
check(nlines <= MAX_LINES, f"README.md has at most {MAX_LINES} lines ({nlines})")

# 5. Config snippets parse.
TREE = """
driver vfio-pci
driver ahci
driver pcieport
dev 0000:00:1f.2 8086:2922 1af4:1100 010601 driver=ahci group=3
dev 0000:00:01.0 8086:29c1 060400 driver=pcieport group=1
dev 0000:01:00.0 10de:1b80 1458:3702 030000 group=1 parent=0000:00:01.0 boot_vga=0
"""
env = Env(TREE)
snippets = 0
for info, first, lines in readme_blocks:
    if info != "conf":
        continue
    snippets += 1
    env.write_config("\n".join(lines) + "\n")
    r = env.run("check")
    name = re.escape(os.path.basename(env.config))
    syntax = [line for line in r.stderr.splitlines() + r.stdout.splitlines()
              if re.search(r"error: (\S*/)?%s:\d+: .*(rule|line) ignored$" % name, line)]
    check(not syntax and r.returncode in (0, 1),
          f"README.md:{first}: the config block parses (check: no 'FILE:LINE: ...; rule/line ignored')",
          "\n".join(syntax) + "\n" + diag_run(r))
check(snippets >= 1, f"README has ```conf blocks ({snippets})")
env.close()
subprocess.run(["rm", "-rf", scratch])

done()
