// The official Turso sync client (@tursodatabase/sync, pinned in tests/package.json)
// as the other side of Patina's interoperability test:
//
//   node interop_client.mjs PATH URL write ID TEXT   bootstrap or open PATH, pull, insert
//                                                    a belief, push
//   node interop_client.mjs PATH URL read            open PATH, pull, print the beliefs
//                                                    as JSON [[id, statement], ...]
//
// Exits 1 with the error on stderr on any failure.
import { connect } from "@tursodatabase/sync";

const [path, url, action, ...args] = process.argv.slice(2);

async function main() {
  const db = await connect({ path, url, clientName: "interop-test" });
  try {
    await db.pull();
    if (action === "write") {
      const [id, text] = args;
      const insert = await db.prepare(
        "INSERT INTO beliefs (id, statement, confidence, active, created_at, updated_at) VALUES (?, ?, 0.5, 1, 1, 1)",
      );
      await insert.run(BigInt(id), text);
      await db.push();
    } else if (action === "read") {
      const rows = await db.all("SELECT id, statement FROM beliefs ORDER BY id");
      console.log(JSON.stringify(rows.map((r) => [String(r.id), r.statement])));
    } else {
      throw new Error(`unknown action ${action}`);
    }
  } finally {
    await db.close();
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
