#include "local_index.hpp"

#include <iostream>
#include <optional>
#include <string>
#include <utility>

#include "patina/domain/lexical_index.hpp"

namespace patina::cli {

std::filesystem::path beside_database(const std::filesystem::path& database_path, std::string_view name) {
  if (database_path.filename() == "patina.db") return database_path.parent_path() / name;
  return database_path.parent_path() / (database_path.stem().string() + "." + std::string(name));
}

std::filesystem::path local_index_path(const std::filesystem::path& database_path) {
  return beside_database(database_path, "local.db");
}

domain::lexical_store open_local_index(context& ctx, std::chrono::milliseconds busy_timeout) {
  const auto path = local_index_path(ctx.database_path());
  auto opened = domain::lexical_store::try_open(path, ctx.mmap_bytes, busy_timeout);
  if (opened) return std::move(*opened);
  // Derived data: a search still works from a private copy, built now.
  std::cerr << "patina: warning: " << opened.err().message << "; using a temporary index for this command\n";
  return domain::lexical_store::open(":memory:");
}

task<void> refresh_local_indexes(context& ctx, database& db) {
  auto store = open_local_index(ctx, writer_index_wait);
  domain::LexicalIndex<database> lexical(db, store);
  PATINA_AWAIT lexical.refresh();
}

task<domain::LexicalFollower<database>> start_index_follower(context& ctx, database& db) {
#if defined(PATINA_BACKEND_TURSO)
  const bool follow = ctx.project_config().turso.mode != turso_mode::remote;
  auto store = open_local_index(ctx, writer_index_wait);
  auto follower = co_await domain::LexicalFollower<database>::start(db, std::move(store), follow);
  co_return follower;
#else
  std::optional<database> reader;
  try {
    reader = ctx.open_database(db::open_mode::read_only);
  } catch (const exception&) {
    // Following is an optimisation: without a second connection, finish() does it all.
  }
  return domain::LexicalFollower<database>::start(db, std::move(reader), open_local_index(ctx, writer_index_wait));
#endif
}

}  // namespace patina::cli
