#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vfio-claim cdi [--write] against fake sysfs trees: the spec validates
against the upstream CDI JSON schema (../shared/third-party/cdi/ beside the
repository, read with Debian's python3-jsonschema) and names the right
nodes: each named rule's devices' group nodes, a device's cdev only where
the kernel has one (DEVICE/vfio-dev/vfioN/dev: CONFIG_VFIO_DEVICE_CDEV; a
6.1 kernel has vfio-dev/vfioN without dev, and no /dev/vfio/devices),
/dev/vfio/vfio once at the top; the lowest cdiVersion; --write, apply,
claim and release put it in RUN/cdi/vfio-claim.json.

Usage: test-cdi.py VFIO-CLAIM MKFAKESYS [SCHEMA-DIR] (run with /usr/bin/python3).
SCHEMA-DIR defaults to ../shared/third-party/cdi from the repository top."""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet_common import Env, check, check_eq, diag_run, done, require_binaries, skip_all  # noqa: E402

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
schema_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.join(top, "..", "shared", "third-party", "cdi")
schema_dir = os.path.normpath(schema_dir)
if not os.path.exists(os.path.join(schema_dir, "schema.json")):
    skip_all(f"no CDI schema at {schema_dir}/schema.json (../shared/third-party/cdi beside the repository)")
try:
    import jsonschema
except ImportError:
    skip_all("python3-jsonschema is not installed (apt-get install python3-jsonschema; run with /usr/bin/python3)")

require_binaries()

with open(os.path.join(schema_dir, "schema.json")) as f:
    SCHEMA = json.load(f)
with open(os.path.join(schema_dir, "defs.json")) as f:
    DEFS = json.load(f)
# schema.json refers to "defs.json#/..." beside it.
RESOLVER = jsonschema.RefResolver(base_uri="file://" + schema_dir + "/", referrer=SCHEMA,
                                  store={"file://" + schema_dir + "/defs.json": DEFS, "defs.json": DEFS})


def validate(spec):
    """None when the spec is valid, else the schema's complaint."""
    try:
        jsonschema.validate(spec, SCHEMA, cls=jsonschema.Draft7Validator, resolver=RESOLVER)
    except jsonschema.ValidationError as ex:
        return str(ex)
    return None


# The GPU with its audio function (group 1), two AHCI controllers in groups 4
# and 7, an xHCI (group 5) on its host driver.
TREE = """
driver vfio-pci
driver ahci
driver pcieport
driver xhci_hcd
dev 0000:00:01.0 1b36:000c 1af4:1100 060400 driver=pcieport group=1
dev 0000:01:00.0 10de:1b80 1458:3702 030000 driver=vfio-pci group=1 parent=0000:00:01.0 boot_vga=0
dev 0000:01:00.1 10de:10f0 1458:3702 040300 driver=vfio-pci group=1 parent=0000:00:01.0
dev 0000:00:03.0 8086:2922 1af4:1100 010601 driver=vfio-pci group=4
dev 0000:00:04.0 1b36:000d 1af4:1100 0c0330 driver=xhci_hcd group=5
dev 0000:00:05.0 8086:2922 1af4:1100 010601 driver=vfio-pci group=7
"""

CONFIG = """address 01:00.0 group name gpu
address 00:03.0 name disk.a
address 00:05.0
address 00:04.0 name usb
"""


def kernel_61(e, cdev):
    """What Debian's 6.1 shows for devices on vfio-pci: class/vfio, and
    DEVICE/vfio-dev/vfioN with device, power, subsystem, uevent (no dev); with
    cdev (CONFIG_VFIO_DEVICE_CDEV, 6.6+) also dev "MAJ:MIN". A vfio-dev/vfioN
    the fake tree already gives a device is kept. Returns {address: "vfioN"}."""
    os.makedirs(e.path("class/vfio"), exist_ok=True)
    names = {}
    for n, addr in enumerate(("0000:01:00.0", "0000:01:00.1", "0000:00:03.0", "0000:00:05.0")):
        top = os.path.join(e.dev_dir(addr), "vfio-dev")
        have = [x for x in os.listdir(top) if x.startswith("vfio")] if os.path.isdir(top) else []
        name = have[0] if have else f"vfio{n + 10}"
        d = os.path.join(top, name)
        if not have:
            os.makedirs(os.path.join(d, "power"))
            os.symlink("../../../" + os.path.basename(e.dev_dir(addr)), os.path.join(d, "device"))
            with open(os.path.join(d, "uevent"), "w") as f:
                f.write("")
        if cdev:
            minor = int(name[4:])
            with open(os.path.join(d, "uevent"), "w") as f:
                f.write(f"MAJOR=511\nMINOR={minor}\nDEVNAME=vfio/devices/{name}\n")
            with open(os.path.join(d, "dev"), "w") as f:
                f.write(f"511:{minor}\n")
        elif os.path.exists(os.path.join(d, "dev")):
            os.remove(os.path.join(d, "dev"))
        names[addr] = name
    return names


def spec_of(e, *options):
    r = e.run("cdi", options=list(options))
    try:
        return r, json.loads(r.stdout)
    except ValueError:
        return r, None


def devices(spec):
    return {d["name"]: [n["path"] for n in d["containerEdits"].get("deviceNodes", [])] for d in spec["devices"]}


def case_groups_61():
    e = Env(TREE, CONFIG)
    kernel_61(e, cdev=False)
    r, spec = spec_of(e)
    check(r.returncode == 0 and spec is not None, "cdi prints one JSON document", diag_run(r))
    if spec is None:
        e.close()
        return
    check_eq(validate(spec), None, "the spec validates against the upstream CDI schema")
    check_eq(spec["kind"], "vfio-claim/pci", "kind vfio-claim/pci")
    check_eq(spec["cdiVersion"], "0.3.0", "names beginning with a letter, no hostPath: cdiVersion 0.3.0")
    check_eq(devices(spec), {"gpu": ["/dev/vfio/1"], "disk.a": ["/dev/vfio/4"]},
             "one device per named rule on vfio-pci, its group node once (two functions in group 1); "
             "no cdev on a 6.1 tree; 'usb' (on xhci_hcd) and the unnamed rule left out")
    check_eq(spec.get("containerEdits"), {"deviceNodes": [{"path": "/dev/vfio/vfio"}]},
             "/dev/vfio/vfio once, in the spec's own edits")
    check(all("/dev/vfio/vfio" not in p for p in devices(spec).values()), "... and in no device's")
    check("usb" in r.stderr and "not in the CDI spec" in r.stderr, "the left-out named rule is said", r.stderr)
    e.close()


def case_cdev():
    e = Env(TREE, CONFIG)
    n = kernel_61(e, cdev=True)
    cd = {a: "/dev/vfio/devices/" + v for a, v in n.items()}
    r, spec = spec_of(e)
    check_eq(validate(spec), None, "cdev kernel: the spec validates")
    check_eq(devices(spec), {"gpu": ["/dev/vfio/1", cd["0000:01:00.0"], cd["0000:01:00.1"]],
                             "disk.a": ["/dev/vfio/4", cd["0000:00:03.0"]]},
             "with vfio-dev/vfioN/dev: each device's cdev besides its group node")
    # A cdev-only kernel (CONFIG_VFIO_GROUP=n): no class/vfio, no group nodes.
    shutil.rmtree(e.path("class/vfio"))
    r, spec = spec_of(e)
    check_eq(devices(spec), {"gpu": [cd["0000:01:00.0"], cd["0000:01:00.1"]], "disk.a": [cd["0000:00:03.0"]]},
             "without class/vfio: the cdevs alone")
    e.close()


def case_version():
    e = Env(TREE, "address 01:00.0 name 0gpu\naddress 00:03.0 name disk\n")
    r, spec = spec_of(e)
    check_eq(validate(spec), None, "digit-first name: the spec validates")
    check_eq(spec["cdiVersion"], "0.5.0", "a name beginning with a digit: cdiVersion 0.5.0 (the first to allow it)")
    check_eq(devices(spec), {"0gpu": ["/dev/vfio/1"], "disk": ["/dev/vfio/4"]},
             "without class/vfio or vfio-dev (a captured tree): the group nodes")
    e.close()


def case_none():
    e = Env(TREE, "address 01:00.0\n")
    r, spec = spec_of(e)
    check(spec is not None and validate(spec) is None and spec["devices"] == [],
          "no named rule: a valid spec without devices", diag_run(r))
    os.makedirs(os.path.join(e.run_dir, "cdi"))
    stale = os.path.join(e.run_dir, "cdi", "vfio-claim.json")
    with open(stale, "w") as f:
        f.write("{}\n")
    r = e.run("cdi", options=["--write"])
    check(r.returncode == 0 and not os.path.exists(stale), "cdi --write without devices removes the old spec",
          diag_run(r))
    e.close()


def case_write():
    e = Env(TREE, CONFIG)
    path = os.path.join(e.run_dir, "cdi", "vfio-claim.json")
    r = e.run("cdi", options=["--write"])
    check(r.returncode == 0 and r.stdout == "", "cdi --write: exit 0, nothing on stdout", diag_run(r))
    check_eq(sorted(os.listdir(os.path.dirname(path))), ["vfio-claim.json"],
             "RUN/cdi/vfio-claim.json made (the directory too), no temporary file left")
    text = open(path).read() if os.path.exists(path) else ""
    check_eq(text, e.run("cdi").stdout, "the file is what cdi prints")
    check_eq(oct(os.stat(path).st_mode & 0o777), oct(0o644), "mode 644")
    old = os.path.join(e.dir, "old.json")
    os.link(path, old)
    ino = os.stat(path).st_ino
    os.remove(e.dev_dir("0000:00:03.0") + "/driver")
    e.run("cdi", options=["--write"])
    check(os.stat(path).st_ino != ino and open(old).read() == text, "rewritten by rename: the old inode keeps its text")
    check_eq(devices(json.load(open(path))), {"gpu": ["/dev/vfio/1"]}, "00:03.0 off vfio-pci: disk.a gone")
    r = e.run("status", options=["--write"])
    check(r.returncode == 64, "status --write: a usage error (64)", diag_run(r))
    e.close()


def case_apply_claim_release():
    e = Env(TREE, CONFIG)
    path = os.path.join(e.run_dir, "cdi", "vfio-claim.json")
    r = e.run("apply", options=["--dry-run"])
    check(not os.path.exists(path), "apply --dry-run writes no spec", diag_run(r))
    r = e.run("apply")
    check(os.path.exists(path), "apply writes the spec when a rule has a name", diag_run(r))
    spec = json.load(open(path)) if os.path.exists(path) else {"devices": []}
    check_eq(devices(spec), {"gpu": ["/dev/vfio/1"], "disk.a": ["/dev/vfio/4"]}, "apply's spec names the nodes")
    os.remove(path)
    r = e.run("claim", "00:03.0")
    check(os.path.exists(path), "claim rewrites the spec", diag_run(r))
    os.remove(e.dev_dir("0000:01:00.0") + "/driver")
    os.remove(e.dev_dir("0000:01:00.1") + "/driver")
    r = e.run("release", "01:00.0")
    spec = json.load(open(path)) if os.path.exists(path) else {"devices": []}
    check_eq(devices(spec), {"disk.a": ["/dev/vfio/4"]}, "release rewrites it: the GPU off vfio-pci is gone",
             )
    e.close()

    e = Env(TREE, "address 01:00.0\n")
    r = e.run("apply")
    check(not os.path.exists(os.path.join(e.run_dir, "cdi")), "apply without a named rule writes no spec",
          diag_run(r))
    e.close()


def case_schema_bites():
    """The validator itself: a spec without kind or with a node lacking a path fails."""
    check(validate({"cdiVersion": "0.3.0", "devices": []}) is not None, "the schema rejects a spec without kind")
    check(validate({"cdiVersion": "0.3.0", "kind": "a/b", "devices": [{"name": "x", "containerEdits":
                                                                        {"deviceNodes": [{}]}}]}) is not None,
          "the schema rejects a device node without path")


for case in (case_groups_61, case_cdev, case_version, case_none, case_write, case_apply_claim_release,
             case_schema_bites):
    print(f"# {case.__name__}")
    case()
done()
