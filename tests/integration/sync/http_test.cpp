// The HTTP client and the Hrana client against scripted fake servers on loopback:
// every failure mode ends in a clear error (never a crash or a hang), requests have
// the shape the Turso server needs, TLS verifies certificates and host names, and
// the token never appears in any error.
#include <gtest/gtest.h>

#include <chrono>

#include "db/turso/sync/hrana_client.hpp"
#include "db/turso/sync/http_client.hpp"
#include "db/turso/sync/pull_client.hpp"
#include "db/turso/sync/remote_executor.hpp"
#include "fake_server.hpp"
#include "io_runner.hpp"

namespace patina::db::turso::sync {
namespace {

using namespace std::chrono_literals;
using test::fake_server;
using test::run_io;

constexpr const char* token = "tok-SECRET-4f9a2c7e1b";

const std::string ok_select_one = R"({"baton":null,"base_url":null,"results":[{"type":"ok","response":{"type":"execute",
  "result":{"cols":[{"name":"1","decltype":null}],"rows":[[{"type":"integer","value":"1"}]],"affected_row_count":0,
  "last_insert_rowid":null}}}]})";

http_options quick() {
  http_options o;
  o.connect_timeout = 2000ms;
  o.request_timeout = 3000ms;
  return o;
}

http_client client_for(const std::string& url, std::optional<std::string> tok = token, http_options o = quick()) {
  auto c = http_client::create(url, std::move(tok), std::move(o));
  if (!c) throw exception(c.err());
  return std::move(*c);
}

// Runs one `execute` of "SELECT 1" through the Hrana client.
result<hrana::stmt_result> select_one(const http_client& http) {
  std::optional<result<hrana::stmt_result>> out;
  run_io([&]() -> awaitable<void> {
    hrana_client client(http);
    hrana::stmt statement{"SELECT 1", {}, true};
    auto r = co_await client.execute(std::move(statement));
    out.emplace(std::move(r));
  });
  return std::move(*out);
}

// Every error seen by this test file, to check that the token is never in one.
std::vector<std::string>& seen_errors() {
  static std::vector<std::string> all;
  return all;
}

error expect_error(const result<hrana::stmt_result>& r, errc code) {
  EXPECT_FALSE(r);
  if (r) return {};
  EXPECT_EQ(r.err().code, code) << r.err().describe();
  seen_errors().push_back(r.err().describe());
  seen_errors().push_back(exception(r.err()).what());
  return r.err();
}

TEST(Http, SendsWhatTheTursoServerNeeds) {
  fake_server server([](const std::string&) { return fake_server::http_response(200, ok_select_one); });
  auto r = select_one(client_for(server.url() + "/base/"));
  ASSERT_TRUE(r) << r.err().describe();
  EXPECT_EQ(std::get<std::int64_t>(r->rows.at(0).at(0)), 1);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& req = requests[0];
  EXPECT_EQ(req.rfind("POST /base/v2/pipeline HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Content-Length: "), std::string::npos);
  EXPECT_EQ(req.find("Transfer-Encoding"), std::string::npos);
  EXPECT_NE(req.find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos);
  EXPECT_NE(req.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(req.find(std::string("Authorization: Bearer ") + token + "\r\n"), std::string::npos);
  EXPECT_EQ(req.find("\"close\""), std::string::npos);
}

TEST(Http, SendsNoAuthorizationWithoutAToken) {
  fake_server server([](const std::string&) { return fake_server::http_response(200, ok_select_one); });
  ASSERT_TRUE(select_one(client_for(server.url(), std::nullopt)));
  EXPECT_EQ(server.requests().at(0).find("Authorization"), std::string::npos);
}

TEST(Http, ChunkedResponsesAreRead) {
  fake_server server([](const std::string&) {
    std::string chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (std::size_t at = 0; at < ok_select_one.size(); at += 50) {
      const std::string piece = ok_select_one.substr(at, 50);
      char size[16];
      std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      chunked += size + piece + "\r\n";
    }
    return chunked + "0\r\n\r\n";
  });
  auto r = select_one(client_for(server.url()));
  ASSERT_TRUE(r) << r.err().describe();
}

TEST(Http, ConnectionRefusedIsANetworkError) {
  int port = 0;
  {
    fake_server closed([](const std::string&) { return std::string(); });
    port = closed.port();
  }  // nothing listens there any more
  auto e = expect_error(select_one(client_for("http://127.0.0.1:" + std::to_string(port))), errc::network_error);
  EXPECT_NE(e.message.find("cannot connect"), std::string::npos) << e.message;
}

TEST(Http, ServerErrorStatusIsAProtocolErrorWithTheServersText) {
  // This server echoes the whole request (token included) in its error body.
  fake_server server([](const std::string& request) {
    return fake_server::http_response(500, "Internal Server Error: " + request, "text/plain");
  });
  auto e = expect_error(select_one(client_for(server.url())), errc::protocol_error);
  EXPECT_NE(e.message.find("HTTP 500"), std::string::npos) << e.message;
  EXPECT_NE(e.detail.find("Internal Server Error: POST /v2/pipeline"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("Bearer <redacted>"), std::string::npos) << e.detail;
}

TEST(Http, NotFoundIsAProtocolError) {
  fake_server server([](const std::string&) { return fake_server::http_response(404, "Not Found", "text/plain"); });
  auto e = expect_error(select_one(client_for(server.url())), errc::protocol_error);
  EXPECT_NE(e.message.find("HTTP 404"), std::string::npos);
  EXPECT_EQ(e.detail, "Not Found");
}

TEST(Http, GarbageIsAProtocolError) {
  fake_server server([](const std::string&) { return std::string("SSH-2.0-OpenSSH_9.2\r\n\r\n"); });
  expect_error(select_one(client_for(server.url())), errc::protocol_error);
  fake_server binary([](const std::string&) { return std::string("\x00\x01\x02\xff\r\n\r\n", 8); });
  expect_error(select_one(client_for(binary.url())), errc::protocol_error);
}

TEST(Http, TruncatedBodyIsAProtocolError) {
  fake_server server([](const std::string&) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" + ok_select_one.substr(0, 40);
  });
  auto e = expect_error(select_one(client_for(server.url())), errc::protocol_error);
  EXPECT_NE(e.message.find("before its response was complete"), std::string::npos) << e.message;
}

TEST(Http, CloseWithoutAnswerIsAProtocolError) {
  fake_server server([](const std::string&) { return std::string(); });
  auto e = expect_error(select_one(client_for(server.url())), errc::protocol_error);
  EXPECT_NE(e.message.find("without answering"), std::string::npos) << e.message;
}

TEST(Http, StallingServerTimesOut) {
  fake_server server([](const std::string&) { return fake_server::stall(); });
  http_options o;
  o.connect_timeout = 1000ms;
  o.request_timeout = 400ms;
  auto e = expect_error(select_one(client_for(server.url(), token, o)), errc::network_error);
  EXPECT_NE(e.message.find("did not answer within 400 ms"), std::string::npos) << e.message;
}

TEST(Http, StallInTheMiddleOfTheBodyTimesOut) {
  fake_server server([](const std::string&) {
    return fake_server::stall("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"res");
  });
  http_options o = quick();
  o.request_timeout = 300ms;
  auto e = expect_error(select_one(client_for(server.url(), token, o)), errc::network_error);
  EXPECT_NE(e.message.find("did not answer within 300 ms"), std::string::npos) << e.message;
}

TEST(Http, MalformedJsonAndMissingFieldsAreProtocolErrors) {
  for (const std::string& body : {std::string("not json"), std::string("{\"results\":[{\"type\":\"ok\"}]}"),
                                 std::string("{\"results\":[]}"), std::string("{\"results\":[{\"type\":\"ok\",\"response\":"
                                                                              "{\"type\":\"execute\",\"result\":{\"cols\":[]}}}]}")}) {
    fake_server server([&](const std::string&) { return fake_server::http_response(200, body); });
    expect_error(select_one(client_for(server.url())), errc::protocol_error);
  }
}

TEST(Http, OversizedBodiesAreRefused) {
  const std::string big = "{\"results\":[\"" + std::string(100000, 'x') + "\"]}";
  fake_server server([&](const std::string&) { return fake_server::http_response(200, big); });
  http_options o = quick();
  o.max_body_bytes = 1000;
  auto e = expect_error(select_one(client_for(server.url(), token, o)), errc::protocol_error);
  EXPECT_NE(e.message.find("larger than 1000 bytes"), std::string::npos) << e.message;
}

TEST(Http, StatementErrorIsAnSqlErrorWithTheServersMessage) {
  const std::string body = std::string(R"js({"results":[{"type":"error","error":{"message":"no such table: t (token )js") +
                           token + R"js()","code":"PREPARE_ERROR"}}]})js";
  fake_server server([&](const std::string&) { return fake_server::http_response(200, body); });
  auto e = expect_error(select_one(client_for(server.url())), errc::sql_error);
  EXPECT_NE(e.detail.find("no such table: t"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("PREPARE_ERROR"), std::string::npos) << e.detail;
}

TEST(Http, PullErrorsAreReportedToo) {
  fake_server truncated([](const std::string&) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/protobuf\r\nContent-Length: 8\r\n\r\n" +
           std::string("\x07\x0a\x01\x36\x10\x02\x1a\x00", 8) + "";
  });
  fake_server cut([](const std::string&) {
    // header, then a length prefix promising a page that never comes
    return fake_server::http_response(200, std::string("\x07\x0a\x01\x36\x10\x02\x1a\x00\x85\x20", 10),
                                      "application/protobuf");
  });
  std::optional<result<pull_outcome>> good, bad;
  run_io([&]() -> awaitable<void> {
    const pull_request bootstrap;
    const http_client first = client_for(truncated.url());
    auto a = co_await pull_updates(first, bootstrap, nullptr, nullptr);
    good.emplace(std::move(a));
    const http_client second = client_for(cut.url());
    auto b = co_await pull_updates(second, bootstrap, nullptr, nullptr);
    bad.emplace(std::move(b));
  });
  ASSERT_TRUE(*good) << good->err().describe();
  EXPECT_EQ((*good)->header.server_revision, "6");
  ASSERT_FALSE(*bad);
  EXPECT_EQ(bad->err().code, errc::protocol_error);
  seen_errors().push_back(bad->err().describe());
  EXPECT_NE(truncated.requests().at(0).find("POST /pull-updates "), std::string::npos);
  EXPECT_NE(truncated.requests().at(0).find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(Http, BadTokensAndOptionsAreRefusedWithoutEchoingThem) {
  for (const std::string& bad : {std::string("abc\r\nX-Evil: 1"), std::string("has space"), std::string("")}) {
    auto c = http_client::create("http://127.0.0.1:1", bad);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.err().code, errc::invalid_argument);
    if (!bad.empty()) {
      EXPECT_EQ(c.err().describe().find(bad), std::string::npos);
    }
  }
  http_options o;
  o.ca_file = "/nonexistent/ca.pem";
  auto c = http_client::create("https://localhost:1", std::string(token), o);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().code, errc::io_error);
  seen_errors().push_back(c.err().describe());
}

// ---- TLS ----------------------------------------------------------------------------------

TEST(Tls, UntrustedCertificateIsANetworkError) {
  auto id = test::tls_identity::make("localhost", "DNS:localhost,IP:127.0.0.1");
  fake_server server([](const std::string&) { return fake_server::http_response(200, ok_select_one); }, &id);
  auto e = expect_error(select_one(client_for(server.url("localhost"))), errc::network_error);
  EXPECT_NE(e.message.find("TLS handshake"), std::string::npos) << e.message;
  EXPECT_NE(e.detail.find("certificate verify failed"), std::string::npos) << e.detail;
  EXPECT_TRUE(server.requests().empty());  // nothing, token included, was sent
}

TEST(Tls, TrustedCertificateWorksAndSendsSni) {
  auto id = test::tls_identity::make("localhost", "DNS:localhost");
  fake_server server([](const std::string&) { return fake_server::http_response(200, ok_select_one); }, &id);
  http_options o = quick();
  o.ca_file = id.cert;
  auto r = select_one(client_for(server.url("localhost"), token, o));
  ASSERT_TRUE(r) << r.err().describe();
  ASSERT_EQ(server.sni().size(), 1u);
  EXPECT_EQ(server.sni()[0], "localhost");
  EXPECT_NE(server.requests().at(0).find(std::string("Bearer ") + token), std::string::npos);
}

TEST(Tls, HostNameMismatchIsANetworkError) {
  auto id = test::tls_identity::make("localhost", "DNS:localhost");  // not valid for 127.0.0.1
  fake_server server([](const std::string&) { return fake_server::http_response(200, ok_select_one); }, &id);
  http_options o = quick();
  o.ca_file = id.cert;
  auto e = expect_error(select_one(client_for(server.url("127.0.0.1"), token, o)), errc::network_error);
  EXPECT_NE(e.message.find("TLS handshake"), std::string::npos);
  EXPECT_TRUE(server.requests().empty());
}

TEST(Tls, PlainHttpServerBehindHttpsUrlFailsCleanly) {
  fake_server server([](const std::string&) { return fake_server::http_response(200, ok_select_one); });
  auto e = expect_error(select_one(client_for("https://127.0.0.1:" + std::to_string(server.port()))), errc::network_error);
  EXPECT_NE(e.message.find("TLS"), std::string::npos) << e.message;
}

// Provokes every error path again with a recognisable token (self-contained, so it
// also holds when run alone) and checks that the token is in none of the texts, plus
// every error the tests above collected.
TEST(Token, NeverAppearsInAnyError) {
  std::vector<std::string> texts = seen_errors();
  const auto record = [&](const error& e) {
    texts.push_back(e.describe());
    texts.push_back(exception(e).what());
  };
  const auto provoke = [&](const std::string& url, http_options o = quick()) {
    auto r = select_one(client_for(url, token, std::move(o)));
    EXPECT_FALSE(r) << url;
    if (!r) record(r.err());
  };
  {
    int port = 0;
    {
      fake_server gone([](const std::string&) { return std::string(); });
      port = gone.port();
    }
    provoke("http://127.0.0.1:" + std::to_string(port));  // refused
  }
  const std::vector<fake_server::responder> scripts = {
      [](const std::string& req) { return fake_server::http_response(500, req, "text/plain"); },
      [](const std::string& req) { return fake_server::http_response(200, req); },  // not JSON, echoes the token
      [](const std::string& req) { return "HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n" + req; },
      [](const std::string& req) { return "GARBAGE " + req; },
      [](const std::string&) { return std::string(); },
      [](const std::string& req) {
        return fake_server::http_response(
            200, std::string(R"({"results":[{"type":"error","error":{"message":")") + req.substr(req.find("Bearer")) +
                     R"(","code":"X"}}]})");
      },
      [](const std::string& req) { return fake_server::stall("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + req.substr(0, 3)); },
  };
  for (const auto& script : scripts) {
    fake_server server(script);
    http_options o = quick();
    o.request_timeout = 300ms;
    provoke(server.url(), o);
  }
  {
    auto id = test::tls_identity::make("localhost", "DNS:localhost");
    fake_server tls([](const std::string&) { return fake_server::http_response(200, ok_select_one); }, &id);
    provoke(tls.url("localhost"));  // untrusted
    http_options o = quick();
    o.ca_file = id.cert;
    provoke(tls.url("127.0.0.1"), o);  // host name mismatch
  }
  {
    fake_server echo([](const std::string& request) { return fake_server::http_response(503, request, "text/plain"); });
    auto exec = remote_executor::create(echo.url(), std::string(token), quick());
    ASSERT_TRUE(exec);
    run_io([&]() -> awaitable<void> {
      auto q = co_await exec->try_query(std::string("SELECT '") + token + "'");
      EXPECT_FALSE(q);
      if (!q) record(q.err());
      try {
        co_await exec->execute("SELECT 1");
        ADD_FAILURE() << "no exception";
      } catch (const exception& e) {
        texts.push_back(e.what());
        texts.push_back(e.get().detail);
      }
      const pull_request bootstrap;
      auto pulled = co_await pull_updates(exec->client().http(), bootstrap, nullptr, nullptr);
      EXPECT_FALSE(pulled);
      if (!pulled) record(pulled.err());
    });
  }
  ASSERT_GE(texts.size(), 26u);
  for (const auto& text : texts) {
    EXPECT_EQ(text.find(token), std::string::npos) << text;
    EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace patina::db::turso::sync
