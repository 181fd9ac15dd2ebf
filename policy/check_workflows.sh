#!/usr/bin/env bash
# Lints .github/: the workflows and dependabot.yml against GitHub's schemas (check-jsonschema's
# vendored copies), then zizmor's offline security audits at the pedantic persona.
# Fails on any finding. Usage: policy/check_workflows.sh   (VENV_BIN overrides .venv/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${VENV_BIN:-.venv/bin}"

"$bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
"$bin/check-jsonschema" --builtin-schema vendor.dependabot .github/dependabot.yml
"$bin/zizmor" --offline --persona pedantic .github
