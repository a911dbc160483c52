#include "db/turso/sync/remote_executor.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cctype>

namespace patina::db::turso::sync {

namespace asio = boost::asio;
using hrana::batch_step;
using hrana::cond_and;
using hrana::cond_is_autocommit;
using hrana::cond_not;
using hrana::cond_ok;

namespace {

awaitable<void> resume_later() {
  auto executor = co_await asio::this_coro::executor;
  co_await asio::post(executor, asio::use_awaitable);
}

failure server_busy(const http_client& http, std::string detail = {}) {
  return fail(errc::busy,
              "the Turso server at " + http.endpoint().authority() +
                  " is inside a transaction another client left open; nothing was run, retry later",
              http.redact(std::move(detail)));
}

// The single-statement shape: [stmt when is_autocommit, (extras), ROLLBACK guard].
void add_guarded_statement(std::vector<batch_step>& steps, hrana::stmt s) {
  steps.push_back(batch_step{cond_is_autocommit(), std::move(s)});
}

void add_counters_step(std::vector<batch_step>& steps) {
  steps.push_back(batch_step{cond_ok(0), hrana::stmt{"SELECT changes(), last_insert_rowid()", {}, true}});
}

void add_rollback_guard(std::vector<batch_step>& steps) {
  steps.push_back(batch_step{cond_and({cond_ok(0), cond_not(cond_is_autocommit())}), hrana::stmt{"ROLLBACK", {}, false}});
}

// Judges steps [0] (the statement) and the last one (the guard) of a guarded batch.
result<void> check_guarded(const http_client& http, const hrana::batch_result& r) {
  if (r.step_errors.front()) return fail(make_sql_error(http, *r.step_errors.front()));
  if (!r.step_results.front()) return server_busy(http);
  if (r.step_errors.back()) {
    return fail(errc::protocol_error,
                "a statement opened a transaction on the Turso server and rolling it back failed; the server "
                "may stay locked until it is restarted",
                http.redact(r.step_errors.back()->message));
  }
  if (r.step_results.back()) {
    return fail(errc::invalid_argument,
                "a statement opened a transaction (BEGIN or SAVEPOINT), which was rolled back: transactions "
                "never span operations; pass the statements to execute_batch instead");
  }
  return {};
}

hrana::stmt to_stmt(std::string_view sql, std::span<const value> params, bool want_rows) {
  return hrana::stmt{std::string(sql), std::vector<value>(params.begin(), params.end()), want_rows};
}

awaitable<result<query_result>> run_query(hrana_client client, hrana::stmt s) {
  std::vector<batch_step> steps;
  add_guarded_statement(steps, std::move(s));
  add_rollback_guard(steps);
  auto outcome = co_await client.batch(std::move(steps));
  if (!outcome) co_return fail(std::move(outcome).err());
  auto checked = check_guarded(client.http(), *outcome);
  if (!checked) co_return fail(checked.err());
  auto& rows = *outcome->step_results.front();
  query_result out;
  out.columns.reserve(rows.cols.size());
  for (auto& c : rows.cols) out.columns.push_back(std::move(c.name));
  out.rows = std::move(rows.rows);
  co_return out;
}

awaitable<result<exec_result>> run_execute(hrana_client client, hrana::stmt s) {
  std::vector<batch_step> steps;
  add_guarded_statement(steps, std::move(s));
  add_counters_step(steps);
  add_rollback_guard(steps);
  auto outcome = co_await client.batch(std::move(steps));
  if (!outcome) co_return fail(std::move(outcome).err());
  auto checked = check_guarded(client.http(), *outcome);
  if (!checked) co_return fail(checked.err());
  const auto& counters = outcome->step_results[1];
  if (!counters || counters->rows.size() != 1 || counters->rows[0].size() != 2 ||
      !std::holds_alternative<std::int64_t>(counters->rows[0][0]) ||
      !std::holds_alternative<std::int64_t>(counters->rows[0][1])) {
    co_return fail(errc::protocol_error,
                   "the Turso server did not report changes() and last_insert_rowid() after a statement; "
                   "check that the server is a supported Turso version");
  }
  exec_result out;
  out.changes = std::get<std::int64_t>(counters->rows[0][0]);
  out.last_insert_rowid = std::get<std::int64_t>(counters->rows[0][1]);
  co_return out;
}

awaitable<result<void>> run_batch(hrana_client client, std::vector<hrana::stmt> statements) {
  if (statements.empty()) {
    co_await resume_later();
    co_return result<void>{};
  }
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (is_transaction_control(statements[i].sql)) {
      co_await resume_later();
      co_return fail(errc::invalid_argument,
                     "statement " + std::to_string(i + 1) + " of the batch is a transaction-control statement "
                     "(BEGIN, COMMIT, ROLLBACK, SAVEPOINT...); execute_batch is already one transaction, so "
                     "leave it out");
    }
  }
  const std::size_t n = statements.size();
  auto outcome = co_await client.batch(build_atomic_batch(std::move(statements)));
  if (!outcome) co_return fail(std::move(outcome).err());
  co_return check_atomic_batch(client.http(), *outcome, n);
}

std::string_view skip_blanks_and_comments(std::string_view s) {
  for (;;) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    if (s.starts_with("--")) {
      const auto eol = s.find('\n');
      s = eol == std::string_view::npos ? std::string_view{} : s.substr(eol + 1);
    } else if (s.starts_with("/*")) {
      const auto end = s.find("*/", 2);
      s = end == std::string_view::npos ? std::string_view{} : s.substr(end + 2);
    } else {
      return s;
    }
  }
}

}  // namespace

std::vector<batch_step> build_atomic_batch(std::vector<hrana::stmt> statements) {
  const std::size_t n = statements.size();
  std::vector<batch_step> steps;
  steps.reserve(n + 3);
  steps.push_back(batch_step{std::nullopt, hrana::stmt{"BEGIN IMMEDIATE", {}, false}});
  for (std::size_t k = 1; k <= n; ++k) {
    steps.push_back(batch_step{cond_ok(k - 1), std::move(statements[k - 1])});
  }
  const std::size_t commit = n + 1;
  steps.push_back(batch_step{cond_ok(n), hrana::stmt{"COMMIT", {}, false}});
  steps.push_back(batch_step{cond_and({cond_ok(0), cond_not(cond_ok(commit)), cond_not(cond_is_autocommit())}),
                             hrana::stmt{"ROLLBACK", {}, false}});
  return steps;
}

result<void> check_atomic_batch(const http_client& http, const hrana::batch_result& r, std::size_t n) {
  const std::size_t commit = n + 1;
  const std::size_t rollback = n + 2;
  if (r.step_results.size() != n + 3 || r.step_errors.size() != n + 3) {
    return fail(errc::protocol_error, "the Turso server answered a batch with the wrong number of steps");
  }
  if (r.step_errors[0]) return server_busy(http, r.step_errors[0]->message);
  if (r.step_errors[rollback]) {
    return fail(errc::protocol_error,
                "a batch failed on the Turso server and rolling it back failed too; the server may stay "
                "inside the transaction until it is restarted",
                http.redact(r.step_errors[rollback]->message));
  }
  for (std::size_t k = 1; k <= n; ++k) {
    if (r.step_errors[k]) {
      return fail(make_sql_error(http, *r.step_errors[k],
                                 "statement " + std::to_string(k) + " of " + std::to_string(n) +
                                     " of the batch, so none of it was applied"));
    }
  }
  if (r.step_errors[commit]) {
    return fail(make_sql_error(http, *r.step_errors[commit], "the COMMIT of the batch, so none of it was applied"));
  }
  if (!r.step_results[commit]) {
    return fail(errc::protocol_error, "the Turso server skipped the COMMIT of a batch without reporting an error");
  }
  return {};
}

bool is_transaction_control(std::string_view sql) {
  sql = skip_blanks_and_comments(sql);
  std::string word;
  for (const char c : sql) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return word == "BEGIN" || word == "COMMIT" || word == "END" || word == "ROLLBACK" || word == "SAVEPOINT" ||
         word == "RELEASE";
}

result<remote_executor> remote_executor::create(std::string_view url, std::optional<std::string> token,
                                                http_options options) {
  auto http = http_client::create(url, std::move(token), std::move(options));
  if (!http) return fail(std::move(http).err());
  return remote_executor(hrana_client(std::move(*http)));
}

awaitable<result<query_result>> remote_executor::try_query(std::string_view sql, std::span<const value> params) const {
  return run_query(client_, to_stmt(sql, params, true));
}

awaitable<result<exec_result>> remote_executor::try_execute(std::string_view sql,
                                                            std::span<const value> params) const {
  return run_execute(client_, to_stmt(sql, params, false));
}

awaitable<result<void>> remote_executor::try_execute_batch(std::span<const statement> statements) const {
  std::vector<hrana::stmt> list;
  list.reserve(statements.size());
  for (const auto& s : statements) list.push_back(to_stmt(s.sql, s.params, false));
  return run_batch(client_, std::move(list));
}

namespace {

// The throwing forms: the primary form's operation (arguments already copied), unwrapped.
template <class T>
awaitable<T> value_of(awaitable<result<T>> operation) {
  auto r = co_await std::move(operation);
  co_return std::move(r).value();
}

awaitable<void> value_of(awaitable<result<void>> operation) {
  auto r = co_await std::move(operation);
  r.value();
}

}  // namespace

awaitable<query_result> remote_executor::query(std::string_view sql, std::span<const value> params) const {
  return value_of(try_query(sql, params));
}

awaitable<exec_result> remote_executor::execute(std::string_view sql, std::span<const value> params) const {
  return value_of(try_execute(sql, params));
}

awaitable<void> remote_executor::execute_batch(std::span<const statement> statements) const {
  return value_of(try_execute_batch(statements));
}

}  // namespace patina::db::turso::sync
