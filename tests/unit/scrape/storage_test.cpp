// The statements that store one file's facts: multi-row inserts whose
// placeholders match their values, row ids grouped by file and stable, and no
// deletes for a path the index never held.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "patina/scrape/detail/storage.hpp"

namespace patina::scrape {
namespace {

file_facts sample_file(std::size_t symbols, std::size_t calls, std::size_t imports) {
  file_facts f;
  f.path = "src/widget.cpp";
  f.lang = language::cpp;
  f.size = 1000;
  f.content_hash = "0123456789abcdef";
  f.line_count = 100;
  for (std::size_t i = 0; i < symbols; ++i) {
    symbol s;
    // Every third symbol is an identical twin of the one before it.
    const std::size_t n = i % 3 == 2 ? i - 1 : i;
    s.name = "f" + std::to_string(n);
    s.qualified_name = "ns::f" + std::to_string(n);
    s.kind = symbol_kind::function;
    s.signature = "void f" + std::to_string(n) + "()";
    s.start_line = static_cast<std::uint32_t>(i + 1);
    s.end_line = s.start_line;
    f.symbols.push_back(s);
  }
  for (std::size_t i = 0; i < calls; ++i) {
    call_edge c;
    c.caller = symbols == 0 ? no_symbol : static_cast<std::uint32_t>(i % symbols);
    c.callee = "obj.g" + std::to_string(i);
    c.line = static_cast<std::uint32_t>(i + 1);
    f.calls.push_back(c);
  }
  for (std::size_t i = 0; i < imports; ++i) f.imports.push_back({"mod" + std::to_string(i), {}, 1});
  return f;
}

std::vector<std::int64_t> ids_of(const std::vector<db::statement>& statements, std::string_view table,
                                 std::size_t columns) {
  std::vector<std::int64_t> ids;
  for (const auto& st : statements) {
    if (!st.sql.starts_with("INSERT INTO " + std::string(table) + " ")) continue;
    for (std::size_t i = 0; i < st.params.size(); i += columns) ids.push_back(std::get<std::int64_t>(st.params[i]));
  }
  return ids;
}

TEST(scrape_storage, multi_row_inserts_bind_one_value_per_placeholder) {
  std::vector<db::statement> out;
  detail::append_file_statements(sample_file(70, 100, 3), 0, out);
  std::size_t symbol_rows = 0;
  std::size_t call_rows = 0;
  for (const auto& st : out) {
    EXPECT_EQ(static_cast<std::size_t>(std::count(st.sql.begin(), st.sql.end(), '?')), st.params.size()) << st.sql;
    if (st.sql.starts_with("INSERT INTO symbols ")) symbol_rows += st.params.size() / 16;
    if (st.sql.starts_with("INSERT INTO calls ")) call_rows += st.params.size() / 7;
  }
  EXPECT_EQ(symbol_rows, 70u);
  EXPECT_EQ(call_rows, 100u);
  // Fewer statements than rows: rows are grouped.
  EXPECT_LT(out.size(), 70u + 100u + 3u);
}

TEST(scrape_storage, row_ids_are_unique_grouped_by_file_and_stable) {
  const auto f = sample_file(300, 500, 20);
  std::vector<db::statement> first;
  std::vector<db::statement> second;
  detail::append_file_statements(f, 0, first);
  detail::append_file_statements(f, 12345, second);
  const auto high = static_cast<std::uint64_t>(detail::file_id(f.path)) >> 32;
  const std::vector<std::pair<std::string_view, std::size_t>> tables = {{"symbols", 16}, {"calls", 7}, {"imports", 5}};
  for (const auto& [table, columns] : tables) {
    const auto ids = ids_of(first, table, columns);
    ASSERT_FALSE(ids.empty()) << table;
    EXPECT_EQ(ids, ids_of(second, table, columns)) << table;
    EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), ids.size()) << table;
    for (auto id : ids) {
      EXPECT_GT(id, 0);
      EXPECT_EQ(static_cast<std::uint64_t>(id) >> 32, high) << table;
    }
  }
  // Another file's rows live elsewhere.
  auto other = f;
  other.path = "src/gadget.cpp";
  std::vector<db::statement> third;
  detail::append_file_statements(other, 0, third);
  EXPECT_NE(static_cast<std::uint64_t>(ids_of(third, "symbols", 16).front()) >> 32, high);
}

TEST(scrape_storage, a_path_never_stored_needs_no_deletes) {
  const auto f = sample_file(2, 2, 1);
  std::vector<db::statement> fresh;
  detail::append_file_statements(f, 0, fresh, {false, false});
  for (const auto& st : fresh) EXPECT_FALSE(st.sql.starts_with("DELETE")) << st.sql;

  std::vector<db::statement> stored;
  detail::append_file_statements(f, 0, stored, {true, false});
  const auto deletes = std::count_if(stored.begin(), stored.end(),
                                     [](const db::statement& st) { return st.sql.starts_with("DELETE"); });
  EXPECT_EQ(deletes, 4);  // symbols, imports, calls, files
  std::vector<db::statement> skipped_before;
  detail::append_file_statements(f, 0, skipped_before, {false, true});
  ASSERT_FALSE(skipped_before.empty());
  EXPECT_EQ(skipped_before.front().sql, "DELETE FROM skipped_files WHERE path = ?1");
}

}  // namespace
}  // namespace patina::scrape
