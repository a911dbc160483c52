// db/common/schema.hpp — the relational schema, as forward-only migrations.
//
// The schema is written once and shared by both backends; only the physical
// vector storage differs (vector_specs.hpp). Migrations are data: a list of
// {version, statements}. To change the schema, append one entry to the list in
// schema.cpp; never edit an entry that has shipped.
//
// The applied version is the largest row of
// `patina_schema(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`.
// A database whose version is newer than this build knows is refused
// (errc::schema_too_new) before anything is written.
//
// Thread safety: functions over one connection; see connection.hpp.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/common/connection.hpp"
#include "patina/core/result.hpp"

namespace patina::db::detail {

struct migration {
  int version = 0;
  std::vector<std::string_view> statements;
};

// Every migration this build knows, in increasing version order (1, 2, ...).
std::span<const migration> migrations();
// The version the newest migration brings a database to.
int latest_schema_version() noexcept;

// Version recorded in the database; 0 if it has no patina_schema table.
result<int> read_schema_version(connection& conn);
// read_schema_version, plus schema_too_new if the database is newer than this build.
result<int> check_schema_version(connection& conn);
// Applies the missing migrations in one transaction and returns the new version.
// Errors: schema_too_new (nothing written), read_only, busy, sql_error.
result<int> apply_migrations(connection& conn);

// The safe opening sequence for a writable connection, shared by the backends:
// check the version (schema_too_new touches nothing); if opening would write
// (migrations pending or the file not yet in WAL), first run the integrity check,
// then switch to WAL and migrate. Read-only connections are only checked.
// Returns the schema version.
result<int> prepare_schema(connection& conn);

// Settings in patina_meta(key, value).
result<std::optional<std::string>> read_meta(connection& conn, std::string_view key);
result<void> write_meta(connection& conn, std::string_view key, std::string_view value);

// patina_meta key holding the dimension the vector tables were created for.
inline constexpr std::string_view meta_vector_dimension = "vector_dimension";
// patina_meta key holding the embedding model id the vectors came from.
inline constexpr std::string_view meta_embedding_model = "embedding_model";

// Milliseconds since the Unix epoch (the schema's timestamp unit).
std::int64_t unix_ms_now() noexcept;

}  // namespace patina::db::detail
