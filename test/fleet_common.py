# SPDX-License-Identifier: GPL-2.0-or-later
"""What test-metrics.py and test-cdi.py share: TAP checks, fake sysfs trees
made by mkfakesys, and runs of the vfio-claim binary pointed into them.

Usage of a test: test-NAME.py VFIO-CLAIM MKFAKESYS. Exit 0 all passed, 1 a
check failed, 77 skipped (say why on the plan line)."""

import os
import shutil
import subprocess
import sys
import tempfile

VFIO_CLAIM = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("VFIO_CLAIM", "")
MKFAKESYS = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("MKFAKESYS", "")

_n = 0
_failed = 0


def skip_all(why):
    print(f"1..0 # SKIP {why}")
    sys.exit(77)


def check(ok, what, diag=None):
    global _n, _failed
    _n += 1
    print(f"{'ok' if ok else 'not ok'} {_n} - {what}")
    if not ok:
        _failed += 1
        if diag:
            for line in str(diag).splitlines():
                print(f"#   {line}")
    return ok


def check_eq(a, b, what):
    return check(a == b, what, f"got:      {a!r}\nexpected: {b!r}")


def done():
    print(f"1..{_n}")
    sys.exit(1 if _failed else 0)


def require_binaries():
    if not VFIO_CLAIM or not os.access(VFIO_CLAIM, os.X_OK):
        skip_all("no vfio-claim binary: pass its path as the first argument")
    if not MKFAKESYS or not os.access(MKFAKESYS, os.X_OK):
        skip_all("no mkfakesys: pass its path as the second argument")


class Env:
    """A fake tree (mkfakesys SPEC) and a scratch directory beside it: the
    config, the kernel command line, --proc, --run, --dev, the boot log."""

    def __init__(self, spec, config=""):
        self.dir = tempfile.mkdtemp(prefix="vfio-claim-fleet.")
        self.sys = os.path.join(self.dir, "sys")
        subprocess.run([MKFAKESYS, self.sys], input=spec, text=True, check=True)
        self.config = os.path.join(self.dir, "vfio-claim.conf")
        self.cmdline = os.path.join(self.dir, "cmdline")
        self.proc = os.path.join(self.dir, "proc")
        self.run_dir = os.path.join(self.dir, "run")
        self.dev = os.path.join(self.dir, "dev")
        self.boot_log = os.path.join(self.run_dir, "vfio-claim", "boot.log")
        for d in (self.proc + "/self", self.run_dir, self.dev):
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(self.proc, "self", "mountinfo"), "w") as f:
            f.write("")
        with open(os.path.join(self.proc, "swaps"), "w") as f:
            f.write("Filename\tType\tSize\tUsed\tPriority\n")
        with open(self.cmdline, "w") as f:
            f.write("BOOT_IMAGE=/vmlinuz root=/dev/vda1\n")
        self.write_config(config)

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def path(self, rel):
        return os.path.join(self.sys, rel)

    def dev_dir(self, addr):
        """The device's directory in the tree (devices/pci0000:00/...)."""
        return os.path.realpath(self.path(f"bus/pci/devices/{addr}"))

    def run(self, *args, options=(), sysconfdir=None):
        """sysconfdir: --sysconfdir DIR in place of --config (the files an image packs)."""
        config = ["--sysconfdir", sysconfdir] if sysconfdir else ["--config", self.config]
        argv = [VFIO_CLAIM, "--sysfs", self.sys, *config, "--cmdline", self.cmdline,
                "--proc", self.proc, "--run", self.run_dir, "--dev", self.dev, "--boot-log", self.boot_log,
                *options, *args]
        env = dict(os.environ, LC_ALL="C")
        r = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        r.cmd = " ".join(argv)
        # Under ASan/UBSan a report is a failure whatever the case checks.
        for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if mark in r.stderr:
                check(False, f"no sanitizer report ({mark})", diag_run(r))
        return r

    def close(self):
        if not os.environ.get("FAKESYS_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"# kept {self.dir}")


def diag_run(r):
    return f"$ {r.cmd}\nexit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
