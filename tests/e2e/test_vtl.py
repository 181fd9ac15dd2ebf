"""The local mapping-template engine renders as API Gateway's Velocity does, where a template can tell."""

from __future__ import annotations

import json

import pytest

from localcloud import vtl


def render(template: str, body: object = None, path: dict[str, str] | None = None) -> str:
    text = "" if body is None else json.dumps(body)
    return vtl.render(template, vtl.Input(text, path or {}), {})


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("o'brien", "o\\'brien"),  # valid JavaScript, invalid JSON: AWS's reference warns about it
        ('say "hi"', 'say \\"hi\\"'),
        ("back\\slash", "back\\\\slash"),
        ("a/b", "a\\/b"),
        ("tab\tnew\nline\rfeed\fbell\b", "tab\\tnew\\nline\\rfeed\\fbell\\b"),
        ("nul\x00unit\x1f", "nul\\u0000unit\\u001F"),
        ("café", "caf\\u00E9"),
        ("😀", "\\uD83D\\uDE00"),  # a Java string is UTF-16: two escaped surrogates
        ("del\x7f", "del\x7f"),
    ],
)
def test_escape_javascript_is_commons_langs_escape_javascript(text: str, escaped: str) -> None:
    assert vtl.escape_javascript(text) == escaped


def test_string_literals_keep_backslashes_as_velocity_does_so_awss_apostrophe_fix_works() -> None:
    template = """$util.escapeJavaScript($input.path('$.email')).replaceAll("\\\\'", "'")"""

    assert render(template, {"email": "o'brien@example.com"}) == "o'brien@example.com"


def test_a_doubled_quote_in_a_string_literal_is_one_quote() -> None:
    template = '#set($q = "say ""hi"" ")$q|#set($s = \'it\'\'s\')$s'

    assert render(template) == 'say "hi" |it\'s'


def test_matches_is_a_whole_string_match_as_in_java() -> None:
    template = "#if($input.params('id').matches('[a-z]{1,3}'))yes#{else}no#end"

    assert render(template, path={"id": "abc"}) == "yes"
    assert render(template, path={"id": "abcd"}) == "no"
    assert render(template, path={"id": "abc\n"}) == "no"
    assert render(template, path={"id": "xabc"}) == "no"


def test_replace_all_takes_javas_group_references() -> None:
    assert render("""$input.path('$.a').replaceAll("(b+)", "<$1>")""", {"a": "abbc"}) == "a<bb>c"


def test_escaping_twice_puts_any_text_two_json_levels_deep() -> None:
    hostile = 'x"},"quantity":-7,"a":"\\\'\n\x01é😀/'
    template = (
        "#set($once = $util.escapeJavaScript($input.path('$.v')).replaceAll(\"\\\\'\", \"'\"))"
        '#set($twice = $util.escapeJavaScript($once).replaceAll("\\\\\'", "\'"))'
        '{"outer": "{\\"inner\\": \\"$twice\\"}"}'
    )

    outer = json.loads(render(template, {"v": hostile}))

    assert json.loads(outer["outer"]) == {"inner": hostile}


def test_the_pinned_airspeed_is_checked() -> None:
    vtl.use_velocity_string_literals()  # the installed version is the pinned one
    assert vtl.AIRSPEED_VERSION == "0.7.1"
