// Writes tests/data/embed/use_lite_reference.json: token ids and 512-d vectors of
// a set of tricky texts, computed by the USE-lite package's own JavaScript pipeline
// (@energetic-ai/embeddings' tokenizer + the TF.js graph run by @energetic-ai/core).
// The C++ engine is checked against this file; the unit tests do not need Node.
//
// Run once, after `npm ci --ignore-scripts` in tests/:
//   node tests/tools/make_use_reference.mjs [MODEL_DIR] [OUT_FILE]
// MODEL_DIR defaults to $PATINA_MODEL_DIR, then deps/model-embeddings-en/dist.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const core = require("@energetic-ai/core");
const { EmbeddingsModel } = require("@energetic-ai/embeddings");

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const modelDir = resolve(
  process.argv[2] ?? process.env.PATINA_MODEL_DIR ?? join(root, "deps", "model-embeddings-en", "dist"));
const outFile = resolve(process.argv[3] ?? join(root, "tests", "data", "embed", "use_lite_reference.json"));

// About 75 tokens of ordinary prose (the benchmark's "medium" length).
const medium =
  "The indexer walks the repository, skips files listed in .gitignore, parses each source " +
  "file with tree-sitter and stores one row per function, class and method. Unchanged files " +
  "are recognised by their content hash, so a second run only re-parses what was edited.";

// Well over 128 tokens: the graph keeps the first 128 (ClipToMaxLength).
const long = [
  "Beliefs are short statements a team holds about its code, such as which module owns retries,",
  "why a cache is keyed by tenant, or which function must never be called while holding the lock.",
  "Each belief records who stated it, when, the evidence behind it and how confident the author was.",
  "Observations are raw facts gathered by tools: a failing test, a slow query, a crash report with",
  "its stack trace, or a profile of a hot loop. Over time observations confirm or contradict beliefs,",
  "and the knowledge base keeps both so that a question asked months later can be answered with the",
  "reasons, not just the conclusion. Search combines vector similarity with lexical matching over",
  "identifiers split into words, so that parseHttpResponse is found by a query about parsing HTTP",
  "responses, and the results explain why each item matched. The final paragraph exists only to make",
  "this text longer than the encoder's limit of one hundred and twenty-eight tokens per input.",
].join(" ");

const texts = [
  "The cat sat on the mat.",
  "A kitten was sitting on the rug.",
  "The stock market fell sharply today.",
  "open a file and read its contents",
  "read file contents from disk",
  "parse command line arguments",
  "handle command-line options",
  "Mutex::unlock releases the lock held by the current thread",
  "std::vector<int>::push_back",
  "parseHTTPResponse",
  "snake_case_identifier_name and kebab-case-name",
  "int32_t utf8ToUtf16(const char* src, std::size_t n)",
  "fn main() { println!(\"hello, world\"); }",
  "SELECT * FROM users WHERE id = 42;",
  "https://example.com/docs/api?query=vector&limit=10#results",
  "Nice work :) but the build broke :( again :-)",
  "meeting at 9:00, lunch at 12:30, release at 17:45",
  "ﬁnancial café Ångström naïve coöperate",
  "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ ① ㍻ ½ ™",
  "O'Reilly's résumé — “quoted” text… and ”5",
  "東京は日本の首都です。",
  "Deploy finished 🚀🎉 all checks green ✅",
  "col1\tcol2\tcol3\nnext line",
  "   leading,  doubled   and trailing spaces   ",
  "non\u00a0breaking\u2009thin space",
  "x",
  "",
  medium,
  long,
];

const vocabulary = JSON.parse(readFileSync(join(modelDir, "vocab.json"), "utf-8"));
const graph = await core.loadGraphModel(`file://${join(modelDir, "model.json")}`);
await core.ready();
const model = new EmbeddingsModel({ vocabulary, model: graph });

const entries = [];
for (const text of texts) {
  const ids = model.tokenizer.encode(text);
  let vector;
  let via = "single";
  if (ids.length === 0) {
    // One text without tokens gives the graph an empty batch; inside a batch the
    // masked mean pools to zero, which is what the C++ engine returns for it.
    vector = (await model.embed([text, "x"]))[0];
    via = "batch-row";
  } else {
    vector = await model.embed(text);
  }
  // Nine significant digits identify a float32 exactly.
  vector = vector.map((v) => Number(v.toPrecision(9)));
  entries.push({ text, ids, truncated_by_graph: ids.length > 128, via, vector });
}

const versions = {};
for (const name of ["@energetic-ai/core", "@energetic-ai/embeddings"]) {
  versions[name] = require(`${name}/package.json`).version;
}
const out = {
  generator: "tests/tools/make_use_reference.mjs",
  packages: versions,
  tfjs_backend: core.getBackend(),
  model_dir_package_version: JSON.parse(
    readFileSync(join(modelDir, "..", "package.json"), "utf-8")).version,
  max_tokens: 128,
  texts: entries,
};
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(out, null, 1) + "\n");
console.log(`wrote ${entries.length} texts to ${outFile} (backend ${out.tfjs_backend})`);
