#include "db/turso/sync/replica.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <memory>

namespace patina::db::turso::sync {

namespace {

constexpr std::string_view state_table = "_patina_sync_state";
constexpr std::string_view high_water_table = "turso_sync_last_change_id";

result<bool> table_exists(detail::connection& conn, std::string_view name) {
  const std::vector<value> params{std::string(name)};
  auto rows = conn.query("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", params);
  if (!rows) return fail(rows.err());
  const auto* n = std::get_if<std::int64_t>(&rows->rows.at(0).at(0));
  return n != nullptr && *n > 0;
}

std::optional<std::uint64_t> as_number(const std::string& text) {
  std::uint64_t n = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return n;
}

}  // namespace

result<void> configure_replica_connection(detail::connection& conn) {
  int applied = 0;
  if (sqlite3_db_config(conn.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &applied) != SQLITE_OK || applied != 1) {
    return fail(conn.last_error(SQLITE_ERROR, "turning off the checkpoint on close"));
  }
  return conn.exec_script("PRAGMA wal_autocheckpoint = 0");
}

result<void> install_replica_capture(detail::connection& writer) {
  const std::vector<std::string> excluded{std::string(vector_generation_table)};
  auto report = install_change_capture(writer.handle(), excluded);
  if (!report) return fail(std::move(report).err());
  return {};
}

result<std::int64_t> last_logged_change(detail::connection& conn) {
  auto exists = table_exists(conn, change_log_table);
  if (!exists) return fail(exists.err());
  if (!*exists) return std::int64_t{0};
  auto rows = conn.query("SELECT coalesce(max(change_id), 0) FROM " + std::string(change_log_table));
  if (!rows) return fail(rows.err());
  const auto* n = std::get_if<std::int64_t>(&rows->rows.at(0).at(0));
  return n == nullptr ? std::int64_t{0} : *n;
}

result<std::vector<row_statement>> local_changes(detail::connection& conn, std::int64_t floor) {
  auto changes = read_changes(conn.handle(), floor);
  if (!changes) return fail(std::move(changes).err());
  return build_row_statements(conn.handle(), *changes);
}

result<std::int64_t> pushed_floor(const std::optional<high_water>& row, std::int64_t pull_gen) {
  if (!row || row->pull_gen < pull_gen) return std::int64_t{0};
  if (row->pull_gen > pull_gen) {
    return fail(errc::protocol_error,
                "the Turso server has a record of this replica's pushes from a later pull than the replica has "
                "applied; the replica's files were probably restored from a backup: re-bootstrap it "
                "(`patina sync --rebootstrap`)");
  }
  return row->change_id;
}

result<std::optional<high_water>> read_local_high_water(detail::connection& conn, const std::string& client_id) {
  auto exists = table_exists(conn, high_water_table);
  if (!exists) return fail(exists.err());
  if (!*exists) return std::optional<high_water>();
  const std::vector<value> params{client_id};
  auto rows = conn.query("SELECT pull_gen, change_id FROM " + std::string(high_water_table) + " WHERE client_id = ?1",
                         params);
  if (!rows) return fail(rows.err());
  if (rows->rows.empty()) return std::optional<high_water>();
  const auto* gen = std::get_if<std::int64_t>(&rows->rows[0][0]);
  const auto* id = std::get_if<std::int64_t>(&rows->rows[0][1]);
  if (gen == nullptr || id == nullptr) {
    return fail(errc::protocol_error, "the server's high-water row for this replica does not hold two integers");
  }
  return std::optional<high_water>(high_water{*gen, *id});
}

result<replay_outcome> replay_pending(detail::connection& writer, std::span<const row_statement> pending,
                                      std::int64_t floor, std::int64_t generation) {
  // The replay is the only copy of unpushed changes once the pending file goes:
  // make its commit durable.
  if (auto full = writer.exec_script("PRAGMA synchronous = FULL"); !full) return fail(full.err());
  auto outcome = writer.atomically([&]() -> result<replay_outcome> {
    replay_outcome o;
    for (const auto& p : pending) {
      if (p.change_id <= floor) continue;
      auto done = writer.execute(p.statement.sql, p.statement.params);
      if (!done) {
        if (done.err().code != errc::sql_error) return fail(done.err());
        ++o.skipped;
        continue;
      }
      ++o.replayed;
    }
    auto created = writer.execute("CREATE TABLE IF NOT EXISTS " + std::string(state_table) +
                                  " (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    if (!created) return fail(created.err());
    const std::vector<value> marker{std::string("replayed_gen"), generation};
    auto marked = writer.execute("INSERT INTO " + std::string(state_table) +
                                     " (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = "
                                     "excluded.value",
                                 marker);
    if (!marked) return fail(marked.err());
    return o;
  });
  if (auto normal = writer.exec_script("PRAGMA synchronous = NORMAL"); !normal && outcome) return fail(normal.err());
  return outcome;
}

result<bool> replay_committed(detail::connection& conn, std::int64_t generation) {
  auto exists = table_exists(conn, state_table);
  if (!exists) return fail(exists.err());
  if (!*exists) return false;
  auto rows = conn.query("SELECT value FROM " + std::string(state_table) + " WHERE key = 'replayed_gen'");
  if (!rows) return fail(rows.err());
  if (rows->rows.empty()) return false;
  const auto* n = std::get_if<std::int64_t>(&rows->rows[0][0]);
  return n != nullptr && *n == generation;
}

result<void> discard_wal(const replica_paths& paths) {
  if (auto removed = remove_file(paths.wal); !removed) return removed;
  return remove_file(paths.shm);
}

// ---- remote steps -------------------------------------------------------------------

awaitable<result<std::optional<high_water>>> read_server_high_water(const remote_executor& exec,
                                                                    std::string client_id) {
  const std::vector<value> params{std::move(client_id)};
  auto rows = co_await exec.try_query(
      "SELECT pull_gen, change_id FROM " + std::string(high_water_table) + " WHERE client_id = ?1", params);
  if (!rows) {
    auto err = std::move(rows).err();
    // The table appears with the first push of any client.
    if (err.code == errc::sql_error && err.detail.find("no such table") != std::string::npos) {
      co_return std::optional<high_water>();
    }
    co_return fail(std::move(err));
  }
  if (rows->rows.empty()) co_return std::optional<high_water>();
  const auto& row = rows->rows[0];
  const auto* gen = row.size() == 2 ? std::get_if<std::int64_t>(&row[0]) : nullptr;
  const auto* id = row.size() == 2 ? std::get_if<std::int64_t>(&row[1]) : nullptr;
  if (gen == nullptr || id == nullptr) {
    co_return fail(errc::protocol_error, "the Turso server's high-water row for this replica does not hold two integers");
  }
  high_water found;
  found.pull_gen = *gen;
  found.change_id = *id;
  co_return std::optional<high_water>(found);
}

awaitable<result<void>> push_rows(const remote_executor& exec, std::string client_id, std::int64_t pull_gen,
                                  std::vector<row_statement> rows) {
  std::int64_t last = 0;
  std::vector<statement> batch;
  batch.reserve(rows.size() + 2);
  batch.push_back(statement{"CREATE TABLE IF NOT EXISTS " + std::string(high_water_table) +
                                " (client_id TEXT PRIMARY KEY, pull_gen INTEGER, change_id INTEGER)",
                            {}});
  for (const auto& r : rows) last = std::max(last, r.change_id);
  for (auto& s : combine_row_statements(std::move(rows))) batch.push_back(std::move(s));
  statement mark;
  mark.sql = "INSERT INTO " + std::string(high_water_table) +
             " (client_id, pull_gen, change_id) VALUES (?1, ?2, ?3) ON CONFLICT (client_id) DO UPDATE SET pull_gen = "
             "excluded.pull_gen, change_id = excluded.change_id";
  mark.params.emplace_back(std::move(client_id));
  mark.params.emplace_back(pull_gen);
  mark.params.emplace_back(last);
  batch.push_back(std::move(mark));
  auto done = co_await exec.try_execute_batch(batch);
  if (!done) {
    auto err = std::move(done).err();
    err.message = "pushing local changes to the Turso server failed, nothing of them was applied there: " + err.message;
    co_return fail(std::move(err));
  }
  co_return result<void>{};
}

awaitable<result<pull_outcome>> pull_into_stage(const http_client& http, std::string client_revision,
                                                std::filesystem::path stage_path) {
  auto created = page_stage::create(stage_path);
  if (!created) co_return fail(std::move(created).err());
  auto stage = std::make_shared<page_stage>(std::move(*created));
  pull_request request;
  request.client_revision = std::move(client_revision);
  pull_stream_decoder::page_handler on_page = [stage](std::uint64_t id, page_span page) {
    return stage->add(id, page);
  };
  auto pulled = co_await pull_updates(http, std::move(request), nullptr, std::move(on_page));
  if (!pulled || pulled->pages == 0) {
    stage.reset();
    auto removed = remove_file(stage_path);
    if (!pulled) co_return pulled;
    if (!removed) co_return fail(std::move(removed).err());
    co_return pulled;
  }
  auto sealed = stage->seal(pulled->header.server_revision, pulled->header.db_size);
  if (!sealed) co_return fail(std::move(sealed).err());
  co_return pulled;
}

awaitable<result<pull_outcome>> bootstrap_database(const http_client& http, std::filesystem::path database) {
  auto created = bootstrap_file::create(std::move(database));
  if (!created) co_return fail(std::move(created).err());
  auto file = std::make_shared<bootstrap_file>(std::move(*created));
  pull_stream_decoder::page_handler on_page = [file](std::uint64_t id, page_span page) {
    return file->write_page(id, page);
  };
  pull_request everything;
  auto pulled = co_await pull_updates(http, std::move(everything), nullptr, std::move(on_page));
  if (!pulled) co_return pulled;
  auto committed = file->commit(pulled->header.db_size);
  if (!committed) co_return fail(std::move(committed).err());
  co_return pulled;
}

bool revision_went_back(const std::string& current, const std::string& next) {
  const auto a = as_number(current);
  const auto b = as_number(next);
  return a && b && *b < *a;
}

}  // namespace patina::db::turso::sync
