"""The README's diagram is the program's, not a drawing that drifted."""

from __future__ import annotations

from devtools.diagram import current_readme_block, mermaid, readme_block
from devtools.program import ProgramRun


def test_the_readme_diagram_is_generated_from_the_dev_stack(runs: dict[str, ProgramRun]) -> None:
    assert current_readme_block() == readme_block(mermaid(runs["dev"])), "README.md is stale: run `make diagram`"


def test_the_diagram_shows_every_rule_target_and_producer(runs: dict[str, ProgramRun]) -> None:
    diagram = mermaid(runs["dev"])
    assert 'bus -->|"OrderPlaced"| billing_queue' in diagram
    assert 'bus -->|"OrderPlaced"| email_fn' in diagram
    assert "billing_queue --> billing_fn" in diagram
    assert 'orders_api_rest_api -->|"eventshop.carts"| bus' in diagram
    assert 'warehouse_fn -->|"eventshop.warehouse"| bus' in diagram
    targets = len(runs["dev"].of_type("aws:cloudwatch/eventTarget:EventTarget"))
    assert diagram.count("bus -->|") == targets
