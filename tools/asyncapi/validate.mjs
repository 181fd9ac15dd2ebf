// Validates AsyncAPI documents with the official parser (@asyncapi/parser, pinned in package.json).
// Usage: node tools/asyncapi/validate.mjs docs/asyncapi.yaml [more documents...]
// Prints every diagnostic of each document, prefixed by its path, then "<path>: valid AsyncAPI <version> (...)"
// on stdout or "<path>: INVALID (<n> errors)" on stderr; exits 1 when the parser reports an error (severity 0)
// in any document or cannot build one, 2 on bad usage. Several documents share one node process, which saves
// starting node and loading the parser again; each is parsed by a parser of its own.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const paths = process.argv.slice(2);
if (!paths.length) {
  console.error("usage: node validate.mjs <asyncapi document> [more documents...]");
  process.exit(2);
}
const SEVERITIES = ["error", "warning", "info", "hint"];

async function validate(path) {
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"), { source: path });
  for (const diagnostic of diagnostics) {
    const where = diagnostic.path.join("/") || "(document)";
    const severity = SEVERITIES[diagnostic.severity] ?? diagnostic.severity;
    console.log(`${path}: ${severity} ${diagnostic.code} at ${where}: ${diagnostic.message}`);
  }
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0);
  if (!document || errors.length) {
    console.error(`${path}: INVALID (${errors.length} errors)`);
    return false;
  }
  const counts = `${document.channels().length} channels, ${document.operations().length} operations, ${document.messages().length} messages`;
  console.log(`${path}: valid AsyncAPI ${document.version()} (${counts})`);
  return true;
}

let valid = true;
for (const path of paths) {
  valid = (await validate(path)) && valid;
}
process.exitCode = valid ? 0 : 1;
