"""make bench's goals table: what each part records, and how the table judges it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from devtools import bench_record
from devtools.bench_record import GOALS, GOALS_BY_KEY, flatness, record, report
from devtools.program import ROOT
from localcloud.bench import BenchRun, figures
from localcloud.call_counter import CallCounter
from localcloud.demo import RunResult


def printed(path: Path) -> tuple[int, str]:
    console = Console(record=True, width=240)
    open_goals = report(console, path)
    return open_goals, console.export_text()


def row(text: str, what: str) -> str:
    return next(line for line in text.splitlines() if what in line)


def test_every_goal_of_the_issue_has_a_row_and_a_target_that_measures_it() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert len({goal.key for goal in GOALS}) == len(GOALS)
    for goal in GOALS:
        assert f"\n{goal.target}:" in makefile, f"{goal.key} is measured by make {goal.target}, which must exist"
        assert goal.bound in ("at most", "at least")


def test_a_figure_is_judged_against_its_bound_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "figures.json"
    record({"cpu_ms_per_order": 100.0, "orders_per_second": 9.99}, path)
    _, text = printed(path)
    assert "met" in row(text, "CPU per order, 500 orders"), "at most 100 ms: exactly 100 ms meets it"
    assert "short" in row(text, "throughput, 500 orders"), "at least 10 orders/s: 9.99 is short"


def test_what_nothing_measured_names_the_target_that_measures_it(tmp_path: Path) -> None:
    path = tmp_path / "figures.json"
    record({"make_test_seconds": 59.0}, path)
    open_goals, text = printed(path)
    assert "not measured: make bench-fresh" in row(text, "fresh clone")
    assert "met" in row(text, "make test, warm")
    assert open_goals == len(GOALS) - 1


def test_a_figure_from_another_commit_is_marked_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "figures.json"
    monkeypatch.setattr(bench_record, "commit", lambda: "aaaaaaa")
    record({"peak_mib": 350.0}, path)
    monkeypatch.setattr(bench_record, "commit", lambda: "bbbbbbb")
    record({"boot_cold_seconds": 2.5}, path)
    _, text = printed(path)
    assert "aaaaaaa (stale)" in row(text, "peak memory")
    assert "bbbbbbb" in row(text, "program evaluated") and "stale" not in row(text, "program evaluated")


def test_unknown_figures_and_bad_records_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "figures.json"
    with pytest.raises(ValueError, match="no speed goal is called orders_per_minute"):
        record({"orders_per_minute": 600.0}, path)
    assert not path.exists(), "nothing is written when a figure is refused"
    record({"info_anything": 1.0}, path)
    assert json.loads(path.read_text())["info_anything"]["value"] == 1.0
    assert "also measured: anything 1.0" in printed(path)[1], "an informative figure is printed under the goals"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="is not JSON"):
        record({"peak_mib": 1.0}, path)


def test_the_command_line_refuses_a_figure_that_is_not_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_record.main(["put", "make_test_seconds", "fast"]) == 2
    assert "a figure must be a number, not 'fast'" in capsys.readouterr().out
    assert bench_record.main(["nonsense"]) == 2


def test_flatness_is_the_largest_over_the_smallest_cpu_per_order() -> None:
    assert flatness([100.0, 110.0, 120.0]) == pytest.approx(1.2)
    with pytest.raises(ValueError, match="at least one size"):
        flatness([])


def test_a_local_cloud_run_records_its_boot_under_the_path_it_took_and_throughput_from_500_orders() -> None:
    result = RunResult(boot_seconds=1.5, settle_seconds=50.0, cpu_seconds=45.0, peak_rss_mb=300.0)
    result.orders = {f"order-{n}": "SHIPPED" for n in range(500)}
    measured = figures(BenchRun(result, 1.6, CallCounter(), "cached"))
    assert measured["boot_cached_seconds"] == 1.5
    assert measured["orders_per_second"] == 10.0
    assert measured["cpu_ms_per_order"] == pytest.approx(90.0)
    assert measured["peak_mib"] == 300.0
    assert all(key in GOALS_BY_KEY or key.startswith("info_") for key in measured)

    small = RunResult(boot_seconds=2.9, settle_seconds=2.0, cpu_seconds=2.0)
    small.orders = {"order-1": "SHIPPED"}
    assert figures(BenchRun(small, 3.0, CallCounter(), "cold")) == {"boot_cold_seconds": 2.9}
