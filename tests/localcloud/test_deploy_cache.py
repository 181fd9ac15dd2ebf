"""The recorded deployment's key and file (localcloud/deploy_cache.py): what changes the fingerprint, what does
not, and that a file recorded under another fingerprint or damaged is a miss. Booting from it: tests/e2e."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from devtools.program import ProgramRun, RecordedResource
from localcloud import deploy_cache

CONFIG = {"aws:region": "eu-west-1", "eventshop:alarmEmail": "ops@example.com"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small tree shaped like the project: program files, files the program never reads, a built layer."""
    files = {
        "__main__.py": "import services\n",
        "Pulumi.yaml": "name: eventshop\n",
        "Pulumi.dev.yaml": "config: {}\n",
        "components/queue.py": "QUEUE = 1\n",
        "handlers/orders/app.py": "def handler(event, context): ...\n",
        "storefront/index.html": "<html></html>\n",
        "localcloud/provision/sqs.py": "PROVISIONERS = {}\n",
        "tests/unit/test_queue.py": "def test(): ...\n",
        "docs/events.md": "# events\n",
        "build/graph/dev.json": "{}\n",
        "build/layers/jose/python/joserfc/__init__.py": "VERSION = 1\n",
        "components/__pycache__/queue.cpython-311.pyc": "compiled",
        ".git/HEAD": "ref: refs/heads/main\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def key(root: Path, stack: str = "dev", config: dict[str, str] | None = None, project: str = "eventshop") -> str:
    return deploy_cache.fingerprint(stack, CONFIG if config is None else config, project, root=root)


def test_the_same_program_has_the_same_fingerprint(project: Path) -> None:
    assert key(project) == key(project)


@pytest.mark.parametrize(
    "changed",
    ["__main__.py", "Pulumi.dev.yaml", "components/queue.py", "handlers/orders/app.py", "storefront/index.html",
     "localcloud/provision/sqs.py"],
)
def test_a_changed_program_file_changes_the_fingerprint(project: Path, changed: str) -> None:
    before = key(project)
    with (project / changed).open("a") as file:
        file.write("# changed\n")
    assert key(project) != before


def test_an_added_or_removed_program_file_changes_the_fingerprint(project: Path) -> None:
    before = key(project)
    (project / "services").mkdir()
    (project / "services" / "loyalty.py").write_text("")
    added = key(project)
    assert added != before
    (project / "components" / "queue.py").unlink()
    assert key(project) not in (before, added)


@pytest.mark.parametrize(
    "unread",
    ["tests/unit/test_queue.py", "docs/events.md", "build/graph/dev.json", ".git/HEAD",
     "components/__pycache__/queue.cpython-311.pyc"],
)
def test_files_the_program_never_reads_leave_the_fingerprint(project: Path, unread: str) -> None:
    before = key(project)
    (project / unread).write_text("changed\n")
    assert key(project) == before


def test_a_rebuilt_layer_changes_the_fingerprint(project: Path) -> None:
    layer = project / "build/layers/jose/python/joserfc/__init__.py"
    before = key(project)
    status = layer.stat()
    os.utime(layer, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    assert key(project) != before
    layer.unlink()
    assert key(project) != before


def test_the_stack_its_configuration_and_project_are_in_the_fingerprint(project: Path) -> None:
    before = key(project)
    assert key(project, stack="prod") != before
    assert key(project, config={**CONFIG, "aws:region": "us-east-1"}) != before
    assert key(project, project="eventshop-fork") != before


def test_a_changed_library_version_changes_the_fingerprint(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = deploy_cache._installed_distributions()
    assert any(name.startswith("moto-") for name in installed), "the listing names each installed distribution"
    before = key(project)
    upgraded = [name.replace("moto-", "moto-99.", 1) if name.startswith("moto-") else name for name in installed]
    monkeypatch.setattr(deploy_cache, "_installed_distributions", lambda: upgraded)
    assert key(project) != before


def recorded(fingerprint: str) -> deploy_cache.CachedRun:
    queue = RecordedResource(
        typ="aws:sqs/queue:Queue",
        name="orders-queue",
        inputs={"name": "eventshop-dev-orders"},
        outputs={"arn": "arn:aws:sqs:eu-west-1:123456789012:eventshop-dev-orders"},
        id="https://sqs.eu-west-1.amazonaws.com/123456789012/eventshop-dev-orders",
        provider=None,
    )
    return deploy_cache.CachedRun(fingerprint, ProgramRun(stack="dev", resources=[queue], project="eventshop"))


@pytest.fixture
def cache_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "build" / "localcloud"
    monkeypatch.setattr(deploy_cache, "CACHE_DIRECTORY", directory)
    return directory


def test_a_stored_run_loads_under_its_fingerprint_only(cache_directory: Path) -> None:
    deploy_cache.store("dev", recorded("abc"))
    loaded = deploy_cache.load("dev", "abc")
    assert loaded is not None and loaded.run.resources[0].id.endswith("/eventshop-dev-orders")
    assert deploy_cache.load("dev", "def") is None
    assert deploy_cache.load("prod", "abc") is None
    assert [path.name for path in cache_directory.iterdir()] == ["dev.pickle"], "no temporary file is left"


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not a pickle at all",
        pickle.dumps({"fingerprint": "abc"}),
        pickle.dumps(deploy_cache.CachedRun("abc", run="not a run")),  # type: ignore[arg-type]
    ],
    ids=["empty", "garbage", "another shape", "no run inside"],
)
def test_a_damaged_file_is_a_miss(cache_directory: Path, damage: bytes) -> None:
    cache_directory.mkdir(parents=True)
    deploy_cache.cache_file("dev").write_bytes(damage)
    assert deploy_cache.load("dev", "abc") is None


def test_a_truncated_file_is_a_miss(cache_directory: Path) -> None:
    deploy_cache.store("dev", recorded("abc"))
    whole = deploy_cache.cache_file("dev").read_bytes()
    deploy_cache.cache_file("dev").write_bytes(whole[: len(whole) // 2])
    assert deploy_cache.load("dev", "abc") is None


def test_the_built_files_are_listed_as_a_recursive_glob_lists_them(project: Path) -> None:
    """Regular files and links to files, at every depth, in ``Path`` order; not what a link to a directory or a
    dangling link points at. Another order or set would change every fingerprint (and miss every recorded run)."""
    layers = project / "build/layers"
    for name in ("jose/python/joserfc/_keys.py", "jose/python/z.py", "jose/python/a-b/c.py", "jose/a.py"):
        (layers / name).parent.mkdir(parents=True, exist_ok=True)
        (layers / name).write_text("x\n")
    (layers / "linked.py").symlink_to(layers / "jose/a.py")
    (layers / "linked-directory").symlink_to(layers / "jose/python", target_is_directory=True)
    (layers / "dangling.py").symlink_to(layers / "missing.py")
    expected = sorted(path for path in layers.rglob("*") if path.is_file())
    found = deploy_cache._files_under(str(project), "build/layers")
    listed = [project / relative for relative, _ in found]
    assert listed == expected
    assert [status.st_size for _, status in found] == [path.stat().st_size for path in expected]
    assert layers / "linked.py" in listed and layers / "dangling.py" not in listed
    assert not any("linked-directory" in path.parts for path in listed)
    assert deploy_cache._files_under(str(project), "build/no-layers") == []


def test_the_program_files_are_named_relative_to_the_root_in_posix_form(project: Path) -> None:
    """Every program file once, directory by directory, named as the fingerprint has always named them."""
    (project / "components/a-b").mkdir()
    (project / "components/a-b/queue.py").write_text("x\n")
    listed = deploy_cache._program_files(str(project))
    assert [relative for relative, _ in listed] == [
        "Pulumi.dev.yaml", "Pulumi.yaml", "__main__.py", "components/queue.py", "components/a-b/queue.py",
        "handlers/orders/app.py", "localcloud/provision/sqs.py", "storefront/index.html",
    ]
    assert all(Path(path) == project / relative for relative, path in listed)
