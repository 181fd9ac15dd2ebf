"""The README's "For platform teams" section links every generated contract, the cost model and the latency budget."""

from __future__ import annotations

from devtools.program import ROOT

README = ROOT / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_one_section_links_openapi_asyncapi_the_cost_model_its_baseline_and_the_latency_budget() -> None:
    platform = section("For platform teams")

    for link in (
        "(docs/openapi.json)",
        "(docs/asyncapi.yaml)",
        "(devtools/prices.json)",
        "(devtools/cost_model.py)",
        "(docs/cost-baseline.json)",
        "(devtools/latency.py)",
    ):
        assert link in platform, f"the section does not link {link}"
    assert "`make cost`" in platform
    assert "`make bench`" in platform
    for linked in ("docs/asyncapi.yaml", "devtools/prices.json", "docs/cost-baseline.json", "devtools/latency.py"):
        assert (ROOT / linked).is_file(), linked


def test_the_readme_has_no_hand_worked_cost_figure() -> None:
    assert "per million orders**" not in README.read_text()
    assert "$0.000025 =" not in README.read_text()
