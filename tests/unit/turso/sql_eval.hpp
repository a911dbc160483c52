// Test helper: evaluate one SQL expression on a raw sqlite3 connection with the
// Turso vector functions registered, and render its value for comparison.
#pragma once

#include <sqlite3.h>

#include <charconv>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "db/turso/vector_functions.hpp"

namespace patina::test {

struct raw_db_closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

class raw_db {
 public:
  static raw_db open_memory_with_vector_functions() {
    sqlite3* db = nullptr;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
      sqlite3_close_v2(db);
      throw std::runtime_error("cannot open an in-memory database");
    }
    raw_db out;
    out.db_.reset(db);
    if (patina::db::turso::register_vector_functions(db) != SQLITE_OK) {
      throw std::runtime_error("registering the vector functions failed");
    }
    return out;
  }
  sqlite3* get() const noexcept { return db_.get(); }

 private:
  std::unique_ptr<sqlite3, raw_db_closer> db_;
};

struct evaluation {
  bool ok = false;
  int type = SQLITE_NULL;
  std::string text;  // TEXT as is, BLOB as upper-case hex, numbers as SQLite prints them
  double real = 0;
  std::string error;
};

inline std::string to_hex(const unsigned char* data, int size) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (int i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

// Runs `sql` (one statement) with an optional blob bound to ?1 and returns the first
// column of the first row.
inline evaluation eval_blob(sqlite3* db, const std::string& sql,
                            std::span<const unsigned char> blob, bool bind_blob = true) {
  evaluation out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    out.error = sqlite3_errmsg(db);
    return out;
  }
  if (bind_blob && sqlite3_bind_parameter_count(stmt) > 0) {
    sqlite3_bind_blob64(stmt, 1, blob.empty() ? "" : static_cast<const void*>(blob.data()),
                        blob.size(), SQLITE_TRANSIENT);
  }
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    out.ok = true;
    out.type = sqlite3_column_type(stmt, 0);
    if (out.type == SQLITE_BLOB) {
      out.text = to_hex(static_cast<const unsigned char*>(sqlite3_column_blob(stmt, 0)),
                        sqlite3_column_bytes(stmt, 0));
    } else if (out.type != SQLITE_NULL) {
      const auto* text = sqlite3_column_text(stmt, 0);
      out.text.assign(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
      out.real = sqlite3_column_double(stmt, 0);
    }
  } else if (rc == SQLITE_DONE) {
    out.ok = true;
  } else {
    out.error = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  return out;
}

inline evaluation eval(sqlite3* db, const std::string& sql) {
  return eval_blob(db, sql, {}, false);
}

}  // namespace patina::test
