#include "local_index.hpp"

#include <iostream>

#include "patina/domain/lexical_index.hpp"

namespace patina::cli {

std::filesystem::path local_index_path(const std::filesystem::path& database_path) {
  if (database_path.filename() == "patina.db") return database_path.parent_path() / "local.db";
  auto name = database_path.stem().string() + ".local.db";
  return database_path.parent_path() / name;
}

domain::lexical_store open_local_index(context& ctx) {
  const auto path = local_index_path(ctx.database_path());
  auto opened = domain::lexical_store::try_open(path);
  if (opened) return std::move(*opened);
  // Derived data: a search still works from a private copy, built now.
  std::cerr << "patina: warning: " << opened.err().message << "; using a temporary index for this command\n";
  return domain::lexical_store::open(":memory:");
}

task<void> refresh_local_indexes(context& ctx, database& db) {
  auto store = open_local_index(ctx);
  domain::LexicalIndex<database> lexical(db, store);
  PATINA_AWAIT lexical.refresh();
}

}  // namespace patina::cli
