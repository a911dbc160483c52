#include "status_report.hpp"

#include <fmt/format.h>

#include "patina/backend.hpp"
#include "patina/domain/detail/sql.hpp"

namespace patina::cli {

namespace {

// count(*) of a table, or 0 when the table does not exist (a database made by
// an older Patina may lack the code tables).
task<std::int64_t> count_rows(database& db, std::string table) {
  const std::vector<db::value> params{db::value{table}};
  auto exists =
      PATINA_AWAIT db.query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", params);
  if (domain::detail::count_from(exists) == 0) PATINA_RETURN 0;
  auto n = PATINA_AWAIT db.query("SELECT count(*) FROM " + table, {});
  PATINA_RETURN domain::detail::count_from(n);
}

}  // namespace

task<status_report> read_status(context& ctx, database& db, embeddings_db& embeddings) {
  auto& selected = ctx.engine();
  status_report s;
  s.backend = std::string(backend_name);
  s.database = ctx.database_path().string();
#if defined(PATINA_BACKEND_TURSO)
  // In remote mode there is no local file: the database is the server's.
  if (db.mode() == db::database_mode::remote) s.database = db.server_url();
#endif
  auto schema = PATINA_AWAIT db.query("SELECT max(version) FROM patina_schema", {});
  s.schema_version = domain::detail::count_from(schema);
  const auto beliefs = PATINA_AWAIT count_rows(db, "beliefs");
  const auto observations = PATINA_AWAIT count_rows(db, "observations");
  const auto symbols = PATINA_AWAIT count_rows(db, "symbols");
  const auto files = PATINA_AWAIT count_rows(db, "files");
  const auto embedded = PATINA_AWAIT embeddings.embedded_count();
  const auto dimension = PATINA_AWAIT db.vector_dimension();
  s.beliefs = beliefs;
  s.observations = observations;
  s.symbols = symbols;
  s.files = files;
  s.embedded = embedded;
  s.vector_dimension = dimension;
  s.model_id = selected.engine->model_id();
  s.model_dimension = selected.engine->dimension();
  auto stored_model = PATINA_AWAIT db.query("SELECT value FROM patina_meta WHERE key = 'embedding_model'", {});
  const auto vectors_model = domain::detail::text_from(stored_model).value_or("");

  if (!selected.warning.empty()) s.warnings.push_back(selected.warning);
  if (!vectors_model.empty() && vectors_model != s.model_id) {
    s.warnings.push_back(fmt::format("the stored vectors were made by {}, the configured engine is {}; search "
                                     "ranks by words only until `patina embeddings generate` embeds everything "
                                     "with {}",
                                     vectors_model, s.model_id, s.model_id));
  } else if (s.embedded < s.beliefs + s.observations + s.symbols) {
    s.warnings.push_back(fmt::format("{} item(s) have no vector; run `patina embeddings generate`",
                                     s.beliefs + s.observations + s.symbols - s.embedded));
  }
  PATINA_RETURN s;
}

nlohmann::json to_json(const status_report& s) {
  return nlohmann::json{{"backend", s.backend},
                        {"database", s.database},
                        {"schema_version", s.schema_version},
                        {"beliefs", s.beliefs},
                        {"observations", s.observations},
                        {"symbols", s.symbols},
                        {"files", s.files},
                        {"embedded", s.embedded},
                        {"vector_dimension", s.vector_dimension},
                        {"model", {{"id", s.model_id}, {"dimension", s.model_dimension}}},
                        {"warnings", s.warnings}};
}

}  // namespace patina::cli
