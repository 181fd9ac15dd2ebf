"""The files of a static site and how each is served: content type and caching, for S3 and the local cloud."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Every kind of file a site may hold; any other is refused rather than served as the wrong type.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
#: No build step means no content-hashed names: browsers revalidate every file (ETag), so a deploy shows at once.
CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class SiteFile:
    key: str
    path: Path
    content_type: str


def content_type_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in CONTENT_TYPES:
        kind = suffix or "a file without a suffix"
        raise ValueError(f"{name}: no content type for {kind} (known: {', '.join(CONTENT_TYPES)})")
    return CONTENT_TYPES[suffix]


def site_files(directory: Path, exclude: frozenset[str] = frozenset()) -> list[SiteFile]:
    """Every file under `directory` (keys relative to it, '/'-separated), sorted; `exclude` names keys the
    caller generates itself (config.json)."""
    if not directory.is_dir():
        raise ValueError(f"{directory}: the site's directory does not exist")
    files = [
        SiteFile(key=key, path=path, content_type=content_type_of(path.name))
        for path in sorted(directory.rglob("*"))
        if path.is_file() and (key := path.relative_to(directory).as_posix()) not in exclude
    ]
    if not files:
        raise ValueError(f"{directory}: the site has no files")
    return files
