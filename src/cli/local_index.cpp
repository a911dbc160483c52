#include "local_index.hpp"

#include "patina/domain/lexical_index.hpp"
#include "patina/domain/lexical_store.hpp"

namespace patina::cli {

std::filesystem::path local_index_path(const std::filesystem::path& database_path) {
  if (database_path.filename() == "patina.db") return database_path.parent_path() / "local.db";
  auto name = database_path.stem().string() + ".local.db";
  return database_path.parent_path() / name;
}

task<void> refresh_local_indexes(context& ctx, database& db) {
  auto store = domain::lexical_store::open(local_index_path(ctx.database_path()));
  domain::LexicalIndex<database> lexical(db, store);
  PATINA_AWAIT lexical.refresh();
}

}  // namespace patina::cli
