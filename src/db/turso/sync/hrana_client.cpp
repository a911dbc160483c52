#include "db/turso/sync/hrana_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace patina::db::turso::sync {

namespace asio = boost::asio;

namespace {

constexpr std::string_view pipeline_route = "/v2/pipeline";

// Used before returning an error that needed no I/O, so no call completes inline.
awaitable<void> resume_later() {
  auto executor = co_await asio::this_coro::executor;
  co_await asio::post(executor, asio::use_awaitable);
}

awaitable<result<std::vector<hrana::stream_result>>> run_pipeline(http_client http,
                                                                  std::vector<hrana::stream_request> requests) {
  auto body = hrana::encode_pipeline(requests);
  if (!body) {
    co_await resume_later();
    co_return fail(body.err());
  }
  auto response = co_await http.post(std::string(pipeline_route), "application/json", std::move(*body));
  if (!response) co_return fail(std::move(response).err());
  auto decoded = hrana::decode_pipeline(*response, requests);
  if (!decoded) co_return fail(std::move(decoded).err());
  co_return std::move(*decoded);
}

awaitable<result<hrana::stmt_result>> run_execute(http_client http, hrana::stmt statement) {
  std::vector<hrana::stream_request> requests(1);
  std::get<hrana::execute_request>(requests.front()).statement = std::move(statement);
  auto outcome = co_await run_pipeline(http, std::move(requests));
  if (!outcome) co_return fail(std::move(outcome).err());
  auto& only = outcome->front();
  if (auto* e = std::get_if<hrana::server_error>(&only)) co_return fail(make_sql_error(http, *e));
  co_return std::move(std::get<hrana::stmt_result>(only));
}

awaitable<result<hrana::batch_result>> run_batch(http_client http, std::vector<hrana::batch_step> steps) {
  std::vector<hrana::stream_request> requests(1, hrana::batch_request{});
  std::get<hrana::batch_request>(requests.front()).steps = std::move(steps);
  auto outcome = co_await run_pipeline(http, std::move(requests));
  if (!outcome) co_return fail(std::move(outcome).err());
  auto& only = outcome->front();
  if (auto* e = std::get_if<hrana::server_error>(&only)) co_return fail(make_sql_error(http, *e));
  co_return std::move(std::get<hrana::batch_result>(only));
}

}  // namespace

error make_sql_error(const http_client& http, const hrana::server_error& e, std::string_view context) {
  std::string message = "the Turso server rejected ";
  message += context.empty() ? std::string("the statement") : std::string(context);
  message += "; fix the SQL or its parameters (see the detail)";
  std::string detail = e.message;
  if (!e.code.empty()) detail += " [" + e.code + "]";
  return error{errc::sql_error, std::move(message), http.redact(std::move(detail))};
}

awaitable<result<std::vector<hrana::stream_result>>> hrana_client::pipeline(
    std::vector<hrana::stream_request> requests) const {
  return run_pipeline(http_, std::move(requests));
}

awaitable<result<hrana::stmt_result>> hrana_client::execute(hrana::stmt statement) const {
  return run_execute(http_, std::move(statement));
}

awaitable<result<hrana::batch_result>> hrana_client::batch(std::vector<hrana::batch_step> steps) const {
  return run_batch(http_, std::move(steps));
}

}  // namespace patina::db::turso::sync
