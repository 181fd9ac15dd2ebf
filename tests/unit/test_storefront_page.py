"""The storefront's files, read as text: nothing inline for the CSP to allow, no HTML built from data, no token
in localStorage, nothing fetched from another origin than config.json names."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

SITE = Path(__file__).resolve().parents[2] / "storefront"
APP = (SITE / "app.js").read_text()
#: Every module of the page (app.js imports the others), each held to the same rules.
SCRIPTS = {path.name: path.read_text() for path in sorted(SITE.glob("*.js"))}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


def page() -> _Tags:
    parser = _Tags()
    parser.feed((SITE / "index.html").read_text())
    return parser


def test_the_page_has_no_inline_script_style_or_event_handler() -> None:
    parsed = page()

    assert not parsed.inline_script
    assert [tag for tag, _ in parsed.tags if tag == "style"] == []
    assert [
        (tag, name) for tag, attrs in parsed.tags for name in attrs if name == "style" or name.startswith("on")
    ] == []
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": "app.js"}]


def test_every_file_the_page_loads_is_its_own() -> None:
    references = [
        attrs.get("src") or attrs.get("href") for _, attrs in page().tags if "src" in attrs or "href" in attrs
    ]

    assert references and all(ref and not re.match(r"^[a-z]+:|^//", ref) for ref in references), references
    assert all((SITE / str(ref)).is_file() for ref in references)


def test_every_form_control_has_a_label_and_status_changes_are_announced() -> None:
    parsed = page()
    labelled = {attrs["for"] for tag, attrs in parsed.tags if tag == "label"}
    controls = {attrs["id"] for tag, attrs in parsed.tags if tag in ("input", "select")}

    assert controls and controls <= labelled
    status = next(attrs for _, attrs in parsed.tags if attrs.get("id") == "order-status")
    assert (status["role"], status["aria-live"]) == ("status", "polite")


def test_every_module_the_page_imports_is_its_own_file() -> None:
    imports = {
        name: re.findall(r'^import .* from "([^"]+)";$', text, flags=re.MULTILINE) for name, text in SCRIPTS.items()
    }

    assert imports["app.js"] == ["./live.js"]
    assert all(ref.startswith("./") and (SITE / ref).is_file() for refs in imports.values() for ref in refs), imports


def test_no_script_builds_html_from_data_nor_evaluates_text() -> None:
    for name, text in SCRIPTS.items():
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert forbidden not in text, (name, forbidden)


def test_the_id_token_is_kept_in_session_storage_never_local_storage() -> None:
    assert all(re.search(r"\blocalStorage\s*[.\[]", text) is None for text in SCRIPTS.values())
    assert "sessionStorage.setItem(TOKEN_KEY" in APP


def test_every_request_but_the_catalog_sends_the_token_as_a_bearer() -> None:
    calls = re.findall(r"api\(`?\"?([^,`\")]+)", APP)

    assert "Authorization = `Bearer ${state.idToken}`" in APP
    unauthenticated = re.findall(r"api\(([^)]*signedIn: false[^)]*)\)", APP)
    assert len(unauthenticated) == 1 and '"/products"' in unauthenticated[0]
    assert {"/products", "/orders", "/orders?${query}"} <= set(calls)


def test_every_request_the_catalog_too_sends_the_storefront_clients_api_key() -> None:
    [api] = re.findall(r"async function api\(.*?\n}\n", APP, flags=re.DOTALL)

    # Set in the one function every API call goes through, before any branch on signedIn.
    assert re.search(r'\n  if \(state\.config\.apiKey\) sent\["x-api-key"\] = state\.config\.apiKey;\n', api)
    assert api.index('sent["x-api-key"]') < api.index("if (signedIn)")
    assert APP.count("fetch(") == 3  # the API (in api()), config.json and Cognito: no call bypasses api()
    assert all("fetch(" not in text for name, text in SCRIPTS.items() if name != "app.js")
