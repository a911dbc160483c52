// patina sql "STATEMENT" [--json] [--write]: runs one statement against the
// project's database with the backend's vector SQL loaded; read-only unless
// --write.
#include <cctype>
#include <iostream>
#include <string>
#include <string_view>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct sql_options {
  std::string statement;
  bool json = false;
  bool write = false;
};

// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, END: each `patina sql` call is
// its own transaction, so these cannot mean anything across calls.
bool is_transaction_control(std::string_view statement) {
  std::size_t i = 0;
  while (i < statement.size() && std::isspace(static_cast<unsigned char>(statement[i])) != 0) ++i;
  std::string word;
  while (i < statement.size() && std::isalpha(static_cast<unsigned char>(statement[i])) != 0) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(statement[i]))));
    ++i;
  }
  return word == "BEGIN" || word == "COMMIT" || word == "END" || word == "ROLLBACK" || word == "SAVEPOINT" ||
         word == "RELEASE";
}

task<int> run_sql(context& ctx, sql_options opts) {
  if (is_transaction_control(opts.statement)) {
    throw exception(errc::invalid_argument,
                    "`patina sql` runs one statement per call, in a transaction of its own, so BEGIN, COMMIT, "
                    "ROLLBACK and savepoints cannot span calls; run the statement that changes the data by itself "
                    "(with --write): it is atomic");
  }
  auto db = PATINA_AWAIT ctx.open_database();
  db::query_result result;
  if (opts.write) {
    auto r = PATINA_AWAIT db.query(opts.statement, {});
    result = std::move(r);
  } else {
    auto r = PATINA_AWAIT db.query_readonly(opts.statement, {});
    result = std::move(r);
  }

  if (opts.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : result.rows) {
      nlohmann::json cells = nlohmann::json::array();
      for (const auto& v : row) cells.push_back(to_json(v));
      rows.push_back(std::move(cells));
    }
    nlohmann::json doc{{"columns", result.columns}, {"rows", std::move(rows)}};
    print_json(doc);
    PATINA_RETURN exit_ok;
  }

  if (result.columns.empty()) {
    std::cout << "ok\n";
    PATINA_RETURN exit_ok;
  }
  std::vector<std::vector<std::string>> cells;
  cells.reserve(result.rows.size());
  for (const auto& row : result.rows) {
    std::vector<std::string> line;
    line.reserve(row.size());
    for (const auto& v : row) line.push_back(to_text(v));
    cells.push_back(std::move(line));
  }
  print_table(std::cout, result.columns, cells);
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_sql_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<sql_options>();
  auto* cmd = app.add_subcommand("sql", "Run one SQL statement against the project database (read-only unless --write)");
  cmd->add_option("statement", opts->statement, "The SQL statement")->required();
  cmd->add_flag("--json", opts->json, R"(Print {"columns": [...], "rows": [[...]]})");
  cmd->add_flag("--write", opts->write, "Allow the statement to change the database");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_sql(ctx, *opts); }); });
}

}  // namespace patina::cli
