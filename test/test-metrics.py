#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vfio-claim status --prometheus against fake sysfs trees, read back with
Debian's python3-prometheus-client parser (the same text parser Prometheus'
own client library uses): every family has HELP and TYPE, names, labels and
values match the tree; --prometheus=FILE replaces the file by rename and
leaves no temporary file; claim and release refresh it.

Usage: test-metrics.py VFIO-CLAIM MKFAKESYS (run with /usr/bin/python3)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet_common import Env, check, check_eq, diag_run, done, require_binaries, skip_all  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    skip_all("python3-prometheus-client is not installed (apt-get install python3-prometheus-client; "
             "run with /usr/bin/python3)")

require_binaries()

# A GPU and its audio function behind a root port (group 1, on vfio-pci), a
# second AHCI controller on ahci (group 4, its rule wants vfio-pci), the
# chipset's AHCI on vfio-pci but in group 3 with the LPC bridge and the SMBus
# controller, which keep their host drivers.
TREE = """
driver vfio-pci
driver ahci
driver pcieport
driver lpc_ich
driver i801_smbus
dev 0000:00:00.0 8086:29c0 1af4:1100 060000 group=0
dev 0000:00:01.0 1b36:000c 1af4:1100 060400 driver=pcieport group=1
dev 0000:01:00.0 10de:1b80 1458:3702 030000 driver=vfio-pci group=1 parent=0000:00:01.0 boot_vga=0
dev 0000:01:00.1 10de:10f0 1458:3702 040300 driver=vfio-pci group=1 parent=0000:00:01.0
dev 0000:00:03.0 8086:2922 1af4:1100 010601 driver=ahci group=4
dev 0000:00:1f.0 8086:2918 1af4:1100 060100 driver=lpc_ich group=3
dev 0000:00:1f.2 8086:2922 1af4:1100 010601 driver=vfio-pci group=3
dev 0000:00:1f.3 8086:2930 1af4:1100 0c0500 driver=i801_smbus group=3
"""

CONFIG = """# three rules
address 01:00.0 group name gpu
address 00:03.0 name disk-2
address 00:1f.2
"""

FAMILIES = {"vfio_claim_info", "vfio_claim_device_on_target", "vfio_claim_group_viable",
            "vfio_claim_boot_apply_seconds", "vfio_claim_boot_devices"}


def parse(text):
    """{family name: (type, help, [(sample name, labels, value)])}; raises on bad text."""
    out = {}
    for fam in text_string_to_metric_families(text):
        out[fam.name] = (fam.type, fam.documentation, [(s.name, dict(s.labels), s.value) for s in fam.samples])
    return out


def help_type_lines(text):
    """Each family's '# HELP' and '# TYPE' lines, in order: the parser accepts families without them."""
    helps = re.findall(r"^# HELP (\S+) \S", text, re.M)
    types = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    return helps, types


def on_target(fams):
    return {s[1]["address"]: (s[1], s[2]) for s in fams.get("vfio_claim_device_on_target", ("", "", []))[2]}


def case_values():
    e = Env(TREE, CONFIG)
    r = e.run("status", options=["--prometheus"])
    check(r.returncode == 0, "status --prometheus exits 0 with a device off its target (the value says it)",
          diag_run(r))
    try:
        fams = parse(r.stdout)
    except Exception as ex:  # the parser's own error is the finding
        check(False, "the output parses", f"{ex}\n{r.stdout}")
        e.close()
        return
    check(True, "the output parses")
    helps, types = help_type_lines(r.stdout)
    check_eq(sorted(helps), sorted(fams), "one # HELP line per family")
    check_eq(sorted(t[0] for t in types), sorted(fams), "one # TYPE line per family")
    check(all(t[1] == "gauge" for t in types), "every family is a gauge", types)
    check(all(f[1] for f in fams.values()), "every family has a help text")
    # No apply summary in a boot log: no boot figures, rather than made-up zeros.
    check_eq(set(fams), FAMILIES - {"vfio_claim_boot_apply_seconds", "vfio_claim_boot_devices"},
             "families without a boot log: info, device_on_target, group_viable")
    check("vfio_claim_config_stale" not in r.stdout, "no vfio_claim_config_stale (no stale-image digest yet)")

    info = fams["vfio_claim_info"][2]
    check(len(info) == 1 and info[0][2] == 1 and re.fullmatch(r"\d+\.\d+\.\d+.*", info[0][1].get("version", "")),
          "vfio_claim_info{version} 1", info)

    dev = on_target(fams)
    check_eq(sorted(dev), ["0000:00:03.0", "0000:00:1f.2", "0000:01:00.0", "0000:01:00.1"],
             "one on_target sample per selected device (the group rule's audio function too)")
    want = {
        "0000:01:00.0": ({"address": "0000:01:00.0", "rule": e.config + ":2", "driver": "vfio-pci", "name": "gpu"}, 1),
        "0000:01:00.1": ({"address": "0000:01:00.1", "rule": e.config + ":2", "driver": "vfio-pci", "name": "gpu"}, 1),
        "0000:00:03.0": ({"address": "0000:00:03.0", "rule": e.config + ":3", "driver": "vfio-pci",
                          "name": "disk-2"}, 0),
        "0000:00:1f.2": ({"address": "0000:00:1f.2", "rule": e.config + ":4", "driver": "vfio-pci", "name": ""}, 1),
    }
    for addr, (labels, value) in want.items():
        got = dev.get(addr)
        check_eq(got, (labels, value), f"{addr}: labels address, rule, driver (the target), name and value {value}")

    groups = {s[1]["group"]: s[2] for s in fams["vfio_claim_group_viable"][2]}
    check_eq(groups, {"1": 1, "3": 0, "4": 1},
             "group_viable: 1 (bridge and VFIO functions), 3 (SMBus and LPC keep drivers) 0, 4 (alone) 1")
    e.close()


def case_off_target_moves():
    """The same device on and off target: the value follows the tree."""
    e = Env(TREE, CONFIG)
    link = e.dev_dir("0000:00:03.0") + "/driver"
    os.remove(link)
    os.symlink("../../../bus/pci/drivers/vfio-pci", link)
    r = e.run("status", options=["--prometheus"])
    dev = on_target(parse(r.stdout))
    check_eq(dev.get("0000:00:03.0", (None, None))[1], 1, "00:03.0 moved to vfio-pci: on_target 1")
    os.remove(e.dev_dir("0000:01:00.0") + "/driver")
    r = e.run("status", options=["--prometheus"])
    dev = on_target(parse(r.stdout))
    check_eq(dev.get("0000:01:00.0", (None, None))[1], 0, "01:00.0 unbound: on_target 0")
    e.close()


def case_boot_log():
    e = Env(TREE, CONFIG)
    os.makedirs(os.path.dirname(e.boot_log), exist_ok=True)
    with open(e.boot_log, "w") as f:
        f.write("[    0.912345] <6>vfio-claim: vfio-claim 0.1.0 apply (sysfs /sys)\n"
                "[    0.950000] <5>vfio-claim: done in 99 ms: 1 selected, 1 claimed, 0 already bound, "
                "0 held off but not bound, 0 failed\n"
                "[    1.000000] <6>vfio-claim: 0000:00:03.0: done in 5 ms: claimed\n"
                "[    2.100000] <4>vfio-claim: done in 1234 ms: 7 selected, 3 claimed, 2 already bound, "
                "1 held off but not bound, 1 failed\n"
                "[    2.200000] <6>vfio-claim: a later line\n")
    r = e.run("status", options=["--prometheus"])
    fams = parse(r.stdout)
    check_eq(set(fams), FAMILIES, "with apply's summary in the boot log: all five families")
    secs = fams.get("vfio_claim_boot_apply_seconds", ("", "", []))[2]
    check_eq([(s[0], s[2]) for s in secs], [("vfio_claim_boot_apply_seconds", 1.234)],
             "boot_apply_seconds from the last summary line, in seconds")
    outcomes = {s[1]["outcome"]: s[2] for s in fams.get("vfio_claim_boot_devices", ("", "", []))[2]}
    check_eq(outcomes, {"claimed": 3, "already": 2, "held": 1, "failed": 1},
             "boot_devices{outcome}: claimed, already, held, failed of the last summary")

    # A cut or altered summary is no summary.
    with open(e.boot_log, "w") as f:
        f.write("[    2.100000] <4>vfio-claim: done in 1234 ms: 7 selected, 3 claimed, 2 already bound\n"
                "[    2.100000] <4>vfio-claim: done in 12x ms: 7 selected, 3 claimed, 2 already bound, "
                "1 held off but not bound, 1 failed\n")
    fams = parse(e.run("status", options=["--prometheus"]).stdout)
    check("vfio_claim_boot_devices" not in fams and "vfio_claim_boot_apply_seconds" not in fams,
          "a cut or malformed summary line gives no boot figures", sorted(fams))

    # The real thing: apply writes the log, status reads its summary back.
    os.remove(e.boot_log)
    r = e.run("apply")
    log = open(e.boot_log).read() if os.path.exists(e.boot_log) else ""
    m = re.search(r"done in (\d+) ms: (\d+) selected, (\d+) claimed, (\d+) already bound, "
                  r"(\d+) held off but not bound, (\d+) failed", log)
    check(m is not None, "apply's boot log has its summary line", diag_run(r) + "\n" + log)
    if m:
        fams = parse(e.run("status", options=["--prometheus"]).stdout)
        outcomes = {s[1]["outcome"]: s[2] for s in fams.get("vfio_claim_boot_devices", ("", "", []))[2]}
        check_eq(outcomes, {"claimed": int(m[3]), "already": int(m[4]), "held": int(m[5]), "failed": int(m[6])},
                 "boot_devices match what apply logged")
        check_eq(outcomes.get("already"), 3.0, "apply found the three devices on vfio-pci already")
    e.close()


def case_escaping():
    """Label values with a quote, a backslash: a config path can hold either."""
    e = Env(TREE, "")
    weird = os.path.join(e.dir, 'we"ird\\name.conf')
    with open(weird, "w") as f:
        f.write("address 00:1f.2 name chipset.sata\n")
    r = e.run("status", options=["--config", weird, "--prometheus"])
    try:
        dev = on_target(parse(r.stdout))
        check_eq(dev.get("0000:00:1f.2", ({}, None))[0].get("rule"), weird + ":1",
                 "a rule origin with '\"' and '\\' comes back exactly")
        check_eq(dev.get("0000:00:1f.2", ({}, None))[0].get("name"), "chipset.sata", "a name with a dot")
    except Exception as ex:
        check(False, "escaped label values parse", f"{ex}\n{r.stdout}")
    e.close()


def case_no_config():
    e = Env(TREE, "")
    os.remove(e.config)
    r = e.run("status", options=["--prometheus"])
    check(r.returncode == 0, "no configuration: still metrics, exit 0", diag_run(r))
    fams = parse(r.stdout)
    check("vfio_claim_info" in fams and not fams.get("vfio_claim_device_on_target", ("", "", []))[2],
          "no configuration: info, and no device samples", r.stdout)
    e.close()


def listing(d):
    return sorted(os.listdir(d))


def case_file_atomic():
    e = Env(TREE, CONFIG)
    out = os.path.join(e.dir, "textfile")
    os.makedirs(out)
    path = os.path.join(out, "vfio-claim.prom")
    r = e.run("status", options=["--prometheus=" + path])
    check(r.returncode == 0 and r.stdout == "", "--prometheus=FILE: exit 0, nothing on stdout", diag_run(r))
    check_eq(listing(out), ["vfio-claim.prom"], "only the file is there: no temporary file left")
    text = open(path).read() if os.path.exists(path) else ""
    check_eq(text, e.run("status", options=["--prometheus"]).stdout, "the file holds what stdout would show")
    check_eq(oct(os.stat(path).st_mode & 0o777), oct(0o644), "mode 644: node_exporter's user reads it")

    # Replaced, not rewritten: a hard link to the old file keeps the old text.
    old = os.path.join(e.dir, "old.prom")
    os.link(path, old)
    ino = os.stat(path).st_ino
    os.remove(e.dev_dir("0000:01:00.0") + "/driver")
    r = e.run("status", options=["--prometheus=" + path])
    check(os.stat(path).st_ino != ino, "a new inode: the file was renamed over the old one")
    check_eq(open(old).read(), text, "the old file's content is untouched (a reader mid-read sees it whole)")
    check(on_target(parse(open(path).read())).get("0000:01:00.0", (None, None))[1] == 0,
          "the new file has the new value")
    check_eq(listing(out), ["vfio-claim.prom"], "second write: still no temporary file")

    # A directory that does not exist: an error, exit 1, nothing made.
    bad = os.path.join(e.dir, "missing", "vfio-claim.prom")
    r = e.run("status", options=["--prometheus=" + bad])
    check(r.returncode == 1 and bad in r.stderr and not os.path.exists(os.path.dirname(bad)),
          "a missing directory: exit 1, the error names the file", diag_run(r))
    # Unwritable directory (as root, a read-only one is still writable: use a file as the directory).
    r = e.run("status", options=["--prometheus=" + path + "/x.prom"])
    check(r.returncode == 1 and listing(out) == ["vfio-claim.prom"], "a file as the directory: exit 1", diag_run(r))
    e.close()


def case_claim_release_refresh():
    e = Env(TREE, CONFIG)
    path = os.path.join(e.dir, "vfio-claim.prom")
    r = e.run("claim", "00:03.0", options=["--prometheus=" + path])
    check(os.path.exists(path), "claim --prometheus=FILE writes the metrics file", diag_run(r))
    fams = parse(open(path).read()) if os.path.exists(path) else {}
    check_eq(sorted(on_target(fams)), ["0000:00:03.0", "0000:00:1f.2", "0000:01:00.0", "0000:01:00.1"],
             "claim's metrics are the configuration's devices, not claim's argument alone")
    os.remove(path)
    r = e.run("release", "01:00.1", options=["--prometheus=" + path])
    check(os.path.exists(path), "release --prometheus=FILE writes the metrics file", diag_run(r))
    r = e.run("list", options=["--prometheus=" + path])
    check(r.returncode == 64 and "--prometheus" in r.stderr, "list --prometheus: a usage error (64)", diag_run(r))
    r = e.run("claim", "00:03.0", "--prometheus")
    check(r.returncode == 64 and "--prometheus needs a value" in r.stderr,
          "claim --prometheus without a file: a usage error (64)", diag_run(r))
    e.close()


def case_names_shown():
    e = Env(TREE, CONFIG)
    r = e.run("status")
    check("name gpu" in r.stdout and "name disk-2" in r.stdout, "status shows the rules' names", diag_run(r))
    r = e.run("list")
    check(", name gpu" in r.stdout, "list shows the rule's name", diag_run(r))
    r = e.run("status", options=["--json"])
    check('"rule_name":"gpu"' in r.stdout and '"rule_name":null' in r.stdout,
          "status --json: rule_name, null for a rule without one", diag_run(r))
    e.close()


def case_config_stale():
    """vfio_claim_config_stale: the image's digest (apply's boot log line) against today's files."""
    e = Env(TREE, CONFIG)
    etc = os.path.join(e.dir, "etc")
    image_digest = os.path.join(e.dir, "image", "config.digest")
    os.makedirs(os.path.join(etc, "vfio-claim.d"))
    os.makedirs(os.path.dirname(image_digest))
    with open(os.path.join(etc, "vfio-claim.conf"), "w") as f:
        f.write(CONFIG)
    r = e.run("check", "--digest", sysconfdir=etc)
    with open(image_digest, "w") as f:
        f.write(r.stdout)
    e.run("apply", "--dry-run", "--image-digest", image_digest, sysconfdir=etc)

    def stale():
        fams = parse(e.run("status", options=["--prometheus"], sysconfdir=etc).stdout)
        return [(s[0], s[2]) for s in fams.get("vfio_claim_config_stale", ("", "", []))[2]]

    check_eq(stale(), [("vfio_claim_config_stale", 0)], "config_stale 0: the files as the image packed them")
    with open(os.path.join(etc, "vfio-claim.d", "20-new.conf"), "w") as f:
        f.write("# added after the image was built\n")
    check_eq(stale(), [("vfio_claim_config_stale", 1)], "config_stale 1: a drop-in added after the image was built")
    fams = parse(e.run("status", options=["--prometheus"]).stdout)
    check("vfio_claim_config_stale" not in fams, "with --config: not compared, no config_stale", sorted(fams))
    os.remove(image_digest)
    e.run("apply", "--dry-run", "--image-digest", image_digest, sysconfdir=etc)
    check_eq(stale(), [], "an image without a digest: no config_stale (no made-up zero)")
    e.close()


for case in (case_values, case_off_target_moves, case_boot_log, case_escaping, case_no_config, case_file_atomic,
             case_claim_release_refresh, case_names_shown, case_config_stale):
    print(f"# {case.__name__}")
    case()
done()
