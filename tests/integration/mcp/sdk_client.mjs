// End to end with the official MCP TypeScript SDK: its Client and
// StdioClientTransport start `patina mcp` in a temporary project made with
// `patina init`, negotiate a version, list the tools, record a belief, find it
// first with search, and read the status. The SDK checks every structured
// result against the tool's outputSchema.
//
// Usage: node sdk_client.mjs /path/to/patina
// Needs tests/node_modules (scripts/setup runs `npm ci` in tests/).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
  execFileSync(patina, ["init"], { cwd: dir, env, stdio: ["ignore", "ignore", "inherit"] });

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

  const found = await client.callTool({ name: "search", arguments: { query: "retrying failed uploads", limit: 5 } });
  assert.equal(found.isError, false, JSON.stringify(found));
  const results = found.structuredContent.results;
  assert.ok(results.length >= 1, JSON.stringify(found));
  assert.equal(results[0].id, target, JSON.stringify(results));
  assert.equal(results[0].type, "belief");
  assert.match(found.content[0].text, /^\d+ results? for "retrying failed uploads"/);

  const status = await client.callTool({ name: "status", arguments: {} });
  assert.equal(status.isError, false, JSON.stringify(status));
  assert.equal(status.structuredContent.beliefs, 3);
  assert.equal(status.structuredContent.embedded, 3);

  const code = await client.callTool({ name: "symbol", arguments: { name: "main" } });
  assert.equal(code.isError, true);

  await client.ping();
  console.log(`ok: ${tools.length} tools, search found belief ${target} first, status counts ${status.structuredContent.beliefs} beliefs`);
} finally {
  if (client) await client.close();
  rmSync(dir, { recursive: true, force: true });
}
