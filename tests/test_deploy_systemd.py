"""The systemd units in deploy/: their settings, ``systemd-analyze verify`` and ``security``.

``systemd-analyze`` tests skip where it is not installed. Also checked: that the bot runs with
the kernel's MDWE, which is what ``MemoryDenyWriteExecute=yes`` enforces.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from bot.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
UNITS = ("hearth.service", "hearth-backup.service", "hearth-backup.timer")
INSTALLED_HEARTH = "/opt/hearth/.venv/bin/hearth"  # where deploy/hearth.service expects it
SETTINGS = {str(info.validation_alias) for info in Settings.model_fields.values()}
# Exposure scores measured with systemd 252 (1.2 and 0.4); a new setting that loosens the
# sandbox fails here.
MAX_EXPOSURE = {"hearth.service": 1.5, "hearth-backup.service": 1.0}


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """Sections -> key -> every value (systemd allows repeated keys)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _unit_env(name: str) -> dict[str, str]:
    env = {}
    for value in _unit(name).get("Service", {}).get("Environment", []):
        for assignment in shlex.split(value):
            key, _, val = assignment.partition("=")
            env[key] = val
    return env


@pytest.mark.parametrize("unit", ["hearth.service", "hearth-backup.service"])
def test_units_set_only_real_settings(unit):
    unknown = {n for n in _unit_env(unit) if n not in SETTINGS and not n.startswith("PYTHON")}
    assert unknown == set(), f"{unit} sets {sorted(unknown)}, which bot/settings.py never reads"


# --- systemd units ---------------------------------------------------------------------------

HARDENING = {
    "DynamicUser": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "NoNewPrivileges": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}


@pytest.mark.parametrize("unit", ["hearth.service", "hearth-backup.service"])
def test_units_are_hardened(unit):
    service = _unit(unit)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key, [None])[-1] == value, key
    assert "@system-service" in service["SystemCallFilter"]
    assert service["EnvironmentFile"] == ["-/etc/hearth/hearth.env"]


def test_main_unit_runs_the_bot_and_stops_it_gently():
    service = _unit("hearth.service")["Service"]
    assert service["ExecStart"] == [f"{INSTALLED_HEARTH} run"]
    assert service["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    assert service["KillSignal"] == ["SIGTERM"]
    assert service["TimeoutStopSec"] == ["30"]
    assert service["Restart"] == ["on-failure"]
    assert service["RestartSec"] == ["10"]


def test_backup_shares_the_bots_user_state_and_database():
    main, backup = _unit("hearth.service")["Service"], _unit("hearth-backup.service")["Service"]
    # Different dynamic users would make systemd chown the directory under the running bot.
    for key in ("DynamicUser", "User", "Group", "StateDirectory"):
        assert backup.get(key) == main.get(key), key
    assert main["User"] == ["hearth"]
    db = PurePosixPath(_unit_env("hearth.service")["HEARTH_DB"])
    assert _unit_env("hearth-backup.service")["HEARTH_DB"] == str(db)
    state = [PurePosixPath("/var/lib", d) for d in main["StateDirectory"][-1].split()]
    assert db.parent in state
    (exec_start,) = backup["ExecStart"]
    # A lone "%" is a unit specifier (%Y: the unit's directory): write "%%" for a literal one.
    assert "%" not in exec_start.replace("%%", ""), exec_start
    command = shlex.split(exec_start)
    assert command[:2] == [INSTALLED_HEARTH, "backup"], exec_start
    assert PurePosixPath(command[2]) in state, "backups go to a folder in the StateDirectory"
    timer = _unit("hearth-backup.timer")["Timer"]
    assert timer["OnCalendar"] == ["daily"] and timer["Persistent"] == ["true"]


def test_backup_prunes_the_files_hearth_backup_names(tmp_path):
    """The ExecStartPost clean-up must match what `hearth backup FOLDER` writes, and only that."""
    from bot.db.backup import destination

    (prune,) = _unit("hearth-backup.service")["Service"]["ExecStartPost"]
    argv = shlex.split(prune)
    pattern = argv[argv.index("-name") + 1]
    made = destination(str(tmp_path), dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)).name
    assert fnmatch.fnmatchcase(made, pattern), (made, pattern)
    for other in ("hearth.db", "hearth.db-wal", ".hearth-20260102-030405.db.partial"):
        assert not fnmatch.fnmatchcase(other, pattern), other
    assert argv[1] == "/var/lib/hearth/backups" and "-delete" in argv


def _systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    return tool


@pytest.fixture
def units(tmp_path: Path) -> Path:
    """The units with ExecStart pointed at this venv's hearth, which verify requires to exist."""
    hearth = Path(sys.executable).with_name("hearth")
    if not hearth.exists():
        pytest.skip(f"{hearth} is not installed (pip install -e .)")
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_HEARTH, str(hearth)), encoding="utf-8")
    return tmp_path


def test_systemd_analyze_verify_accepts_the_units(units):
    result = subprocess.run(
        [_systemd_analyze(), "verify", "--man=no", *(str(units / n) for n in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "hearth" not in output, output


@pytest.mark.parametrize("unit", sorted(MAX_EXPOSURE))
def test_systemd_security_exposure_stays_low(units, unit):
    tool = _systemd_analyze()
    usage = subprocess.run([tool, "--help"], capture_output=True, text=True, check=False)
    if "--offline" not in usage.stdout:
        pytest.skip("this systemd-analyze has no security --offline (systemd < 250)")
    result = subprocess.run(
        [tool, "security", "--offline=yes", "--no-pager", str(units / unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match[1]) <= MAX_EXPOSURE[unit], result.stdout


# --- MemoryDenyWriteExecute=yes --------------------------------------------------------------

MDWE_DEMO = """
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN (Linux >= 6.3)
    sys.exit(77)
from bot.app.cli import main
sys.exit(main(["demo"]))
"""


def test_hearth_runs_with_memory_deny_write_execute(tmp_path):
    """The kernel's MDWE is what MemoryDenyWriteExecute=yes enforces: no W+X mappings."""
    if not sys.platform.startswith("linux") or not hasattr(ctypes, "CDLL"):
        pytest.skip("Linux only")
    result = subprocess.run(
        [sys.executable, "-c", MDWE_DEMO],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode == 77:
        pytest.skip("this kernel has no PR_SET_MDWE")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip(), "the demo printed nothing"
