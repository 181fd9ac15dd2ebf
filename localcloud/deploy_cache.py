"""Booting without evaluating the program again: the run a cold boot recorded (every resource the program
declared, its inputs, and the ids and ARNs moto gave it) is kept in ``build/localcloud/<stack>.pickle`` with the
fingerprint of everything that decided it. A boot whose fingerprint matches replays that run into moto
(``MotoMocks.replay``: the same provisioners, in the same order, from the same seed of moto's random ids) and
skips the Pulumi evaluation and the import of the provider SDK's resource modules. moto's state just after a
replay is kept (``moto_snapshot``), and a later boot of the same recording in the process puts it back instead
of replaying it again.

The fingerprint covers the program's files (every file of the project but the tests, docs, tools, policy pack
and build output; the built layers by path, size and modification time), the stack's configuration and
project, the Python version and every installed distribution's version. Any change to one of them misses the
cache, so the boot evaluates the program and records the run again. A file that cannot be read back (corrupt,
truncated, another format) counts as a miss and is overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from moto.core.base_backend import BackendDict
from moto.moto_api._internal import mock_random

from devtools.program import ROOT, ProgramRun, project_name, run_program
from localcloud import moto_snapshot
from localcloud.clients import Clients
from localcloud.provision import MotoMocks, ReplayMismatchError
from localcloud.trace import Trace

#: Where the recorded runs are kept (build/ is not committed).
CACHE_DIRECTORY = ROOT / "build" / "localcloud"
#: Bumped when what is kept changes shape, so older files miss.
FORMAT = 1
#: moto's random source starts here before every deployment, recorded or replayed, so the ids match.
MOTO_SEED = 1_000_003
#: Top-level directories the program never reads: changing them does not change what it deploys.
NOT_THE_PROGRAM = frozenset({"tests", "docs", "tools", "policy", "build", "artifacts", "dist"})
#: Built output the program packages: fingerprinted by path, size and modification time (megabytes of wheels).
BUILT_INPUTS = ("build/layers",)


@dataclass(frozen=True)
class Deployed:
    """A deployment into moto: the program's run, the mocks that provisioned it, and how ("cold" or "cached")."""

    run: ProgramRun
    mocks: MotoMocks
    path: str


@dataclass(frozen=True)
class CachedRun:
    """What a cold boot recorded, and the fingerprint it was recorded under."""

    fingerprint: str
    run: ProgramRun


def seed_moto() -> None:
    """Start moto's random ids (role ids, API ids, pool ids, UUIDs) from ``MOTO_SEED``."""
    mock_random.seed(MOTO_SEED)


def fingerprint(stack: str, config: dict[str, str], project: str, root: Path = ROOT) -> str:
    """A digest of everything that decides what the program deploys for ``stack``."""
    digest = hashlib.sha256()
    digest.update(json.dumps([FORMAT, stack, project, config, sys.version], sort_keys=True).encode())
    for relative, path in _program_files(str(root)):
        digest.update(f"\0{relative}\0".encode())
        with open(path, "rb") as file:
            digest.update(file.read())
    for built in BUILT_INPUTS:
        for relative, status in _files_under(str(root), built):
            digest.update(f"\0{relative}\0{status.st_size}\0{status.st_mtime_ns}".encode())
    for distribution in _installed_distributions():
        digest.update(f"\0{distribution}".encode())
    return digest.hexdigest()


# The file listings below work on path strings, not ``Path`` objects: building, relating and printing ~650
# ``Path`` objects was two thirds of the fingerprint's CPU (~10 ms a boot).


def _program_files(root: str) -> list[tuple[str, str]]:
    """Each program file as (its path relative to ``root``, in POSIX form; its path), directory by directory."""
    files: list[tuple[str, str]] = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not name.startswith(".")
            and name not in ("__pycache__", "node_modules")
            and not (directory == root and name in NOT_THE_PROGRAM)
        )
        prefix = "" if directory == root else f"{_relative(root, directory)}/"
        files.extend(
            (f"{prefix}{name}", os.path.join(directory, name)) for name in sorted(names) if not name.endswith(".pyc")
        )
    return files


def _files_under(root: str, directory: str) -> list[tuple[str, os.stat_result]]:
    """Every regular file under ``root/directory`` (symbolic links to files included, linked directories not
    entered) as (its path relative to ``root``, in POSIX form; its status), in ``Path`` order (part by part)."""
    top = os.path.join(root, directory)
    if not os.path.isdir(top):
        return []
    found: list[tuple[str, os.stat_result]] = []
    for here, _, names in os.walk(top):
        for name in names:
            try:
                status = os.stat(os.path.join(here, name))  # follows a link, as ``os.path.isfile`` does
            except OSError:
                continue  # a dangling link is no file
            if stat.S_ISREG(status.st_mode):
                found.append((f"{_relative(root, here)}/{name}", status))
    return sorted(found, key=lambda entry: entry[0].split("/"))


def _relative(root: str, directory: str) -> str:
    """``directory`` (``root`` or below it, as ``os.walk`` names it) relative to ``root``, in POSIX form."""
    return directory[len(root) + 1 :].replace(os.sep, "/")


def _installed_distributions() -> list[str]:
    """The ``<name>-<version>.dist-info`` entries of the interpreter's site-packages (a directory listing, not
    a metadata read per distribution): a changed library version changes a name here."""
    directories = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    return sorted(
        name
        for directory in directories
        if os.path.isdir(directory)
        for name in os.listdir(directory)
        if name.endswith(".dist-info")
    )


def cache_file(stack: str) -> Path:
    return CACHE_DIRECTORY / f"{stack}.pickle"


def load(stack: str, expected: str) -> CachedRun | None:
    """The run recorded for ``stack`` under fingerprint ``expected``; None when there is none, it was recorded
    under another fingerprint, or the file cannot be read back."""
    recording = _read(stack)
    return None if recording is None else _parse(recording, expected)


def _read(stack: str) -> bytes | None:
    try:
        return cache_file(stack).read_bytes()
    except FileNotFoundError:
        return None


def _parse(recording: bytes, expected: str) -> CachedRun | None:
    try:
        # Only this project's own boots write here (build/, never committed or downloaded).
        cached = pickle.loads(recording)  # noqa: S301
    except Exception:
        # A damaged file of any kind (truncated, another format, classes since renamed) is a miss; the boot
        # records a fresh one over it.
        return None
    if not isinstance(cached, CachedRun) or not isinstance(cached.run, ProgramRun) or cached.fingerprint != expected:
        return None
    return cached


def store(stack: str, cached: CachedRun) -> None:
    """Writes the file whole or not at all (parallel test workers may boot the same stack at once)."""
    CACHE_DIRECTORY.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=CACHE_DIRECTORY, prefix=f".{stack}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump(cached, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cache_file(stack))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def deploy(stack: str, config: dict[str, str], clients: Clients, trace: Trace, reuse: bool = True) -> Deployed:
    """Deploys ``stack`` into the running moto: replays the run recorded for this very program when there is
    one (and ``reuse``), else evaluates the program and records its run. A replay that does not reproduce the
    recorded ids is dropped: moto is emptied and the program evaluated. moto's state after a replay is kept
    (``moto_snapshot``) and put back, instead of replayed again, by later boots of the same recording in this
    process."""
    region = config.get("aws:region", "us-east-1")
    project = project_name()
    expected = fingerprint(stack, config, project)
    recording = _read(stack) if reuse else None
    cached = None if recording is None else _parse(recording, expected)
    if recording is not None and cached is not None:
        mocks = MotoMocks(stack, region, clients)
        kept = _replayed.get((stack, region))
        if kept is not None and kept.recording == recording:
            moto_snapshot.restore(kept.snapshot)
            return Deployed(mocks.restored(cached.run, kept.schema_registries), mocks, "cached")
        seed_moto()
        try:
            replayed = mocks.replay(cached.run)
        except ReplayMismatchError as mismatch:
            trace.add("deploy", stack, f"the recorded run was not reproduced, evaluating the program: {mismatch}")
            BackendDict.reset()
        else:
            _keep(stack, region, recording, mocks, trace)
            return Deployed(replayed, mocks, "cached")
    mocks = MotoMocks(stack, region, clients)
    seed_moto()
    run = run_program(stack, mocks=mocks, config=config, project=project)
    try:
        store(stack, CachedRun(expected, run))
    except OSError as error:
        trace.add("deploy", stack, f"the run could not be recorded for later boots: {error}")
    return Deployed(run, mocks, "cold")


@dataclass(frozen=True)
class _Replayed:
    """moto's state just after a recording (the file's bytes) was replayed, and the registries the replay made."""

    recording: bytes
    snapshot: moto_snapshot.MotoSnapshot
    schema_registries: dict[str, dict[str, str]]


#: The last replay of each (stack, region) in this process.
_replayed: dict[tuple[str, str], _Replayed] = {}


def _keep(stack: str, region: str, recording: bytes, mocks: MotoMocks, trace: Trace) -> None:
    try:
        snapshot = moto_snapshot.capture()
    except moto_snapshot.SnapshotError as error:
        _replayed.pop((stack, region), None)
        trace.add("deploy", stack, f"moto's state could not be kept, later boots replay the run: {error}")
        return
    registries = {name: dict(schemas) for name, schemas in mocks.context.schema_registries.items()}
    _replayed[(stack, region)] = _Replayed(recording, snapshot, registries)


def forget_replays() -> None:
    """Later boots replay their recording again (tests comparing a replay with a restored state)."""
    _replayed.clear()
