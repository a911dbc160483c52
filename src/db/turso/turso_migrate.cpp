// migrate_from_sqlite: one hop to the writer thread, where sqlite_import does the work.
#include "patina/db/turso_migrate.hpp"

#include <utility>

#include "db/turso/database_access.hpp"
#include "db/turso/sqlite_import.hpp"

namespace patina::db {

awaitable<result<migrate_report>> try_migrate_from_sqlite(TursoDatabase& db, std::filesystem::path source,
                                                          migrate_options options) {
  if (db.mode() != database_mode::local) {
    // Unlike a local file, a replica or a server database receives the vector tables
    // through the server (their dimension is schema there), not through one transaction.
    auto where = db.mode() == database_mode::remote ? std::string("a Turso server database (remote mode)")
                                                    : std::string("an embedded replica");
    co_return fail(errc::unsupported,
                   "`patina migrate` imports into a local database, but this project's database is " + where +
                       "; migrate into a local project (turso.mode = \"local\", or --db PATH of a local file)");
  }
  migrate_report report;
  auto done = co_await turso::database_access::run_on_writer(
      db, [&](detail::connection& writer, turso::local_store& store) -> result<void> {
        auto imported = turso::import_sqlite_build(writer, store, source, options);
        if (!imported) return fail(imported.err());
        report = std::move(*imported);
        return {};
      });
  if (!done) co_return fail(done.err());
  co_return report;
}

awaitable<migrate_report> migrate_from_sqlite(TursoDatabase& db, std::filesystem::path source,
                                              migrate_options options) {
  auto outcome = co_await try_migrate_from_sqlite(db, std::move(source), std::move(options));
  co_return std::move(outcome).value();
}

}  // namespace patina::db
