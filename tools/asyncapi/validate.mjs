// Validates an AsyncAPI document with the official parser (@asyncapi/parser, pinned in package.json).
// Usage: node tools/asyncapi/validate.mjs docs/asyncapi.yaml
// Prints every diagnostic; exits 1 when the parser reports an error (severity 0) or cannot build the
// document, 2 on bad usage.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const path = process.argv[2];
if (!path) {
  console.error("usage: node validate.mjs <asyncapi document>");
  process.exit(2);
}
const SEVERITIES = ["error", "warning", "info", "hint"];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"), { source: path });
for (const diagnostic of diagnostics) {
  const where = diagnostic.path.join("/") || "(document)";
  console.log(`${SEVERITIES[diagnostic.severity] ?? diagnostic.severity} ${diagnostic.code} at ${where}: ${diagnostic.message}`);
}
const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0);
if (!document || errors.length) {
  console.error(`${path}: INVALID (${errors.length} errors)`);
  process.exit(1);
}
const counts = `${document.channels().length} channels, ${document.operations().length} operations, ${document.messages().length} messages`;
console.log(`${path}: valid AsyncAPI ${document.version()} (${counts})`);
