// End to end with the official MCP TypeScript SDK: its Client and
// StdioClientTransport start `patina mcp` in a temporary project made with
// `patina init` that holds a small code base (fixture/, scraped with `patina
// scrape` and embedded), negotiate a version, list the tools, find a function
// first by a question in other words than its code's, look it up with `symbol`,
// record a belief and find it first with search, and read the status. The SDK
// checks every structured result against the tool's outputSchema.
//
// Usage: node sdk_client.mjs /path/to/patina
// Needs tests/node_modules (scripts/setup runs `npm ci` in tests/).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const patina = process.argv[2];
if (!patina) {
  console.error("usage: node sdk_client.mjs /path/to/patina");
  process.exit(2);
}

let Client, StdioClientTransport;
try {
  ({ Client } = await import("@modelcontextprotocol/sdk/client/index.js"));
  ({ StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js"));
} catch (e) {
  console.error(
    "sdk_client: cannot load @modelcontextprotocol/sdk from tests/node_modules: " + e.message +
      "\n  Run scripts/setup (it runs `npm ci --ignore-scripts` in tests/) and try again.");
  process.exit(1);
}

// The child's environment: the test's, without anything pointing at another database.
const env = {};
for (const [k, v] of Object.entries(process.env)) {
  if (!["PATINA_DB", "PATINA_TURSO_URL", "PATINA_TURSO_TOKEN"].includes(k)) env[k] = v;
}

const dir = mkdtempSync(join(tmpdir(), "patina-mcp-sdk-"));
let client;
try {
  const run = (args) => execFileSync(patina, args, { cwd: dir, env, stdio: ["ignore", "ignore", "inherit"] });
  run(["init"]);
  cpSync(join(dirname(fileURLToPath(import.meta.url)), "fixture"), join(dir, "src"), { recursive: true });
  run(["scrape", "--quiet"]);
  run(["embeddings", "generate", "--quiet"]);

  const transport = new StdioClientTransport({ command: patina, args: ["mcp"], cwd: dir, env, stderr: "pipe" });
  let log = "";
  transport.stderr?.on("data", (chunk) => { log += chunk; });
  client = new Client({ name: "patina-sdk-test", version: "1.0.0" });
  try {
    await client.connect(transport);
  } catch (e) {
    console.error("server log:\n" + log);
    throw e;
  }

  const server = client.getServerVersion();
  assert.equal(server.name, "patina");
  console.log(`connected to ${server.name} ${server.version}`);

  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ["search", "add_belief", "add_observation", "status", "symbol"]);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, "object", t.name);
    assert.equal(t.outputSchema?.type, "object", t.name);
  }

  // A question in other words than the code's: found by meaning, first.
  const question = "how do we try a file transfer once more when it did not go through?";
  const code = await client.callTool({ name: "search", arguments: { query: question, scope: "code", limit: 5 } });
  assert.equal(code.isError, false, JSON.stringify(code));
  const hit = code.structuredContent.results[0];
  assert.equal(hit?.name, "retry_upload", JSON.stringify(code.structuredContent.results, null, 1));
  assert.equal(hit.type, "symbol");
  assert.equal(hit.path, "src/net/upload.py");
  assert.equal(hit.line, 14);
  assert.equal(hit.kind, "function");
  assert.match(hit.signature, /retry_upload\(request, attempts\)/);
  assert.ok(hit.why.length > 0);
  assert.match(code.content[0].text, /\n 1\. src\/net\/upload\.py:14  function  net\.upload\.retry_upload  \(score /);

  const symbol = await client.callTool({ name: "symbol", arguments: { name: "retry_upload", callees: true } });
  assert.equal(symbol.isError, false, JSON.stringify(symbol));
  const definition = symbol.structuredContent.results[0];
  assert.equal(definition.id, hit.id);
  assert.equal(definition.path, "src/net/upload.py");
  assert.equal(definition.line, 14);
  const resolved = definition.callees.filter((c) => c.id !== null).map((c) => c.qualified_name).sort();
  assert.deepEqual(resolved, ["net.upload.backoff_delay", "net.upload.send_request"], JSON.stringify(definition));
  assert.match(symbol.content[0].text, /src\/net\/upload\.py:14-/);

  const statements = [
    "The database schema is versioned with numbered migrations",
    "Failed uploads are retried three times with exponential backoff",
    "Log lines are written as JSON objects to stderr",
  ];
  let target;
  for (const statement of statements) {
    const r = await client.callTool({ name: "add_belief", arguments: { statement, confidence: 0.8 } });
    assert.equal(r.isError, false, JSON.stringify(r));
    assert.equal(r.structuredContent.statement, statement);
    assert.match(r.content[0].text, /Recorded belief \d+/);
    if (statement.includes("uploads")) target = r.structuredContent.id;
  }

  // Beliefs alone: the new belief first. All (the default): code and knowledge
  // in one ranking, where the belief stands with the code that does it.
  const found = await client.callTool({
    name: "search", arguments: { query: "retrying failed uploads", scope: "beliefs", limit: 5 } });
  assert.equal(found.isError, false, JSON.stringify(found));
  const results = found.structuredContent.results;
  assert.ok(results.length >= 1, JSON.stringify(found));
  assert.equal(results[0].id, target, JSON.stringify(results));
  assert.equal(results[0].type, "belief");
  assert.match(found.content[0].text, /^\d+ results? for "retrying failed uploads"/);
  const everything = await client.callTool({ name: "search", arguments: { query: "retrying failed uploads", limit: 5 } });
  assert.equal(everything.isError, false, JSON.stringify(everything));
  const mixed = everything.structuredContent.results;
  assert.equal(mixed.find((r) => r.type === "belief")?.id, target, JSON.stringify(mixed));
  assert.ok(mixed.some((r) => r.type === "symbol" && r.name === "retry_upload"), JSON.stringify(mixed));

  const status = await client.callTool({ name: "status", arguments: {} });
  assert.equal(status.isError, false, JSON.stringify(status));
  assert.equal(status.structuredContent.beliefs, 3);
  assert.ok(status.structuredContent.symbols >= 7, JSON.stringify(status.structuredContent));
  assert.equal(status.structuredContent.embedded, 3 + status.structuredContent.symbols);

  const missing = await client.callTool({ name: "symbol", arguments: { name: "no_such_function" } });
  assert.equal(missing.isError, true);
  assert.match(missing.content[0].text, /no symbol named 'no_such_function'/);

  await client.ping();
  console.log(`ok: ${tools.length} tools, search found ${hit.qualified_name} at ${hit.path}:${hit.line} first and ` +
    `belief ${target} first, status counts ${status.structuredContent.beliefs} beliefs and ` +
    `${status.structuredContent.symbols} symbols`);
} finally {
  if (client) await client.close();
  rmSync(dir, { recursive: true, force: true });
}
