// Unit tests (no network) of the sync protocol's codecs: base64, server URLs, the
// Hrana JSON dialect, the /pull-updates protobuf messages and page stream, page
// selectors, the atomic batch shape, and the page files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "db/turso/sync/base64.hpp"
#include "db/turso/sync/hrana.hpp"
#include "db/turso/sync/page_file.hpp"
#include "db/turso/sync/page_selector.hpp"
#include "db/turso/sync/pull_protocol.hpp"
#include "db/turso/sync/remote_executor.hpp"
#include "db/turso/sync/server_url.hpp"

namespace patina::db::turso::sync {
namespace {

using json = nlohmann::json;
using bytes = std::vector<std::uint8_t>;

bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

// ---- base64 -----------------------------------------------------------------------

TEST(Base64, EncodesRfc4648VectorsWithPadding) {
  EXPECT_EQ(base64_encode(to_bytes("")), "");
  EXPECT_EQ(base64_encode(to_bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(to_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(to_bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(to_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(bytes{0xfb, 0xff}), "+/8=");
}

TEST(Base64, DecodesPaddedAndUnpadded) {
  EXPECT_EQ(base64_decode("AQIDBA"), (bytes{1, 2, 3, 4}));  // as the server writes it
  EXPECT_EQ(base64_decode("AQIDBA=="), (bytes{1, 2, 3, 4}));
  EXPECT_EQ(base64_decode("Zm8="), to_bytes("fo"));
  EXPECT_EQ(base64_decode("Zm8"), to_bytes("fo"));
  EXPECT_EQ(base64_decode(""), bytes{});
}

TEST(Base64, RejectsInvalidInput) {
  for (const char* bad : {"A", "Zm9v!", "Zm=v", "Zg=", "Zh==", "Z===", "====", "Zm9v\n", "-_8"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

TEST(Base64, RoundTripsRandomBytes) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 300; ++n) {
    bytes b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    EXPECT_EQ(base64_decode(base64_encode(b)), b);
  }
}

// ---- URLs ---------------------------------------------------------------------------

TEST(ServerUrl, ParsesSchemesPortsAndBasePaths) {
  auto plain = parse_server_url("http://127.0.0.1:8080");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 8080);
  EXPECT_EQ(plain->target("/v2/pipeline"), "/v2/pipeline");
  EXPECT_EQ(plain->host_header(), "127.0.0.1:8080");

  auto libsql = parse_server_url("libsql://my-db-org.turso.io/");
  ASSERT_TRUE(libsql);
  EXPECT_TRUE(libsql->tls);
  EXPECT_EQ(libsql->port, 443);
  EXPECT_EQ(libsql->host_header(), "my-db-org.turso.io");
  EXPECT_EQ(libsql->target("/pull-updates"), "/pull-updates");

  auto based = parse_server_url("https://example.com:8443/base/path//");
  ASSERT_TRUE(based);
  EXPECT_EQ(based->target("/v2/pipeline"), "/base/path/v2/pipeline");
  EXPECT_EQ(based->authority(), "example.com:8443");

  auto v6 = parse_server_url("http://[::1]:9000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->authority(), "[::1]:9000");
}

TEST(ServerUrl, RefusesBadUrlsWithoutRepeatingThem) {
  for (const char* bad : {"", "not a url", "ftp://host", "http://user:SECRETX@host", "https://host/?authToken=SECRETX",
                          "https://host/#SECRETX", "http://host:0", "http://host:99999", "http://:80", "file:///x"}) {
    auto r = parse_server_url(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.err().code, errc::invalid_argument) << bad;
    EXPECT_EQ(r.err().describe().find("SECRETX"), std::string::npos) << r.err().describe();
  }
}

// ---- Hrana JSON -----------------------------------------------------------------------

json encode(const std::vector<hrana::stream_request>& requests) {
  auto body = hrana::encode_pipeline(requests);
  EXPECT_TRUE(body) << (body ? "" : body.err().describe());
  return json::parse(*body);
}

TEST(Hrana, EncodesValuesTheWayTheServerWantsThem) {
  hrana::stmt s{"INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)",
                {db::value{}, db::value{std::numeric_limits<std::int64_t>::min()},
                 db::value{std::numeric_limits<std::int64_t>::max()}, db::value{2.5}, db::value{std::string("žluťoučký 🐴")},
                 db::value{db::blob{1, 2, 3, 4}}, db::value{db::blob{}}},
                false};
  const json j = encode({hrana::execute_request{s}});
  ASSERT_EQ(j["requests"].size(), 1u);
  const json& stmt = j["requests"][0]["stmt"];
  EXPECT_EQ(j["requests"][0]["type"], "execute");
  EXPECT_EQ(stmt["sql"], s.sql);
  EXPECT_EQ(stmt["want_rows"], false);
  const json& args = stmt["args"];
  EXPECT_EQ(args[0], (json{{"type", "null"}}));
  EXPECT_EQ(args[1], (json{{"type", "integer"}, {"value", "-9223372036854775808"}}));
  EXPECT_EQ(args[2], (json{{"type", "integer"}, {"value", "9223372036854775807"}}));
  EXPECT_EQ(args[3]["type"], "float");
  EXPECT_TRUE(args[3]["value"].is_number_float());
  EXPECT_EQ(args[3]["value"].get<double>(), 2.5);
  EXPECT_EQ(args[4], (json{{"type", "text"}, {"value", "žluťoučký 🐴"}}));
  EXPECT_EQ(args[5], (json{{"type", "blob"}, {"base64", "AQIDBA=="}}));
  EXPECT_EQ(args[6], (json{{"type", "blob"}, {"base64", ""}}));
}

TEST(Hrana, RefusesValuesTheWireCannotCarry) {
  for (const double d : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                         std::numeric_limits<double>::quiet_NaN()}) {
    std::vector<hrana::stream_request> r{hrana::execute_request{hrana::stmt{"SELECT ?", {db::value{d}}, true}}};
    auto body = hrana::encode_pipeline(r);
    ASSERT_FALSE(body);
    EXPECT_EQ(body.err().code, errc::invalid_argument);
    EXPECT_NE(body.err().message.find("?1"), std::string::npos);
  }
  std::vector<hrana::stream_request> text{
      hrana::execute_request{hrana::stmt{"SELECT ?, ?", {db::value{std::string("ok")}, db::value{std::string("\xff\xfe")}}, true}}};
  auto t = hrana::encode_pipeline(text);
  ASSERT_FALSE(t);
  EXPECT_NE(t.err().message.find("?2"), std::string::npos);
  std::vector<hrana::stream_request> sql{hrana::execute_request{hrana::stmt{"SELECT '\xc0\xaf'", {}, true}}};
  EXPECT_FALSE(hrana::encode_pipeline(sql));
  std::vector<hrana::stream_request> surrogate{hrana::execute_request{hrana::stmt{"SELECT '\xed\xa0\x80'", {}, true}}};
  EXPECT_FALSE(hrana::encode_pipeline(surrogate));
}

TEST(Hrana, EncodesBatchConditionsAndNeverACloseRequest) {
  std::vector<hrana::batch_step> steps;
  steps.push_back({std::nullopt, hrana::stmt{"SELECT 1", {}, true}});
  steps.push_back({hrana::cond_ok(0), hrana::stmt{"SELECT 2", {}, true}});
  steps.push_back({hrana::cond_and({hrana::cond_error(0), hrana::cond_not(hrana::cond_is_autocommit())}),
                   hrana::stmt{"SELECT 3", {}, true}});
  steps.push_back({hrana::cond_or({hrana::cond_ok(1), hrana::cond_ok(2)}), hrana::stmt{"SELECT 4", {}, true}});
  const json j = encode({hrana::batch_request{steps}});
  const json& s = j["requests"][0]["batch"]["steps"];
  EXPECT_EQ(j["requests"].size(), 1u);
  EXPECT_EQ(j["requests"][0]["type"], "batch");
  EXPECT_FALSE(s[0].contains("condition"));
  EXPECT_EQ(s[1]["condition"], (json{{"type", "ok"}, {"step", 0}}));
  EXPECT_EQ(s[2]["condition"],
            (json::parse(R"({"type":"and","conds":[{"type":"error","step":0},{"type":"not","cond":{"type":"is_autocommit"}}]})")));
  EXPECT_EQ(s[3]["condition"], (json::parse(R"({"type":"or","conds":[{"type":"ok","step":1},{"type":"ok","step":2}]})")));
  EXPECT_EQ(j.dump().find("close"), std::string::npos);
}

const char* real_execute_response = R"({"baton":null,"base_url":null,"results":[{"type":"ok","response":{"type":"execute","result":{
  "cols":[{"name":"a","decltype":"INTEGER"},{"name":"b","decltype":null},{"name":"c"},{"name":"d"},{"name":"e"},{"name":"f"}],
  "rows":[[{"type":"integer","value":"-9223372036854775808"},{"type":"float","value":1.0},{"type":"float","value":null},
           {"type":"text","value":"x"},{"type":"blob","base64":"AQIDBA"},{"type":"null"}]],
  "affected_row_count":0,"last_insert_rowid":null,"replication_index":null,"rows_read":0,"rows_written":0,"query_duration_ms":0.0,
  "some_future_key":{"x":1}}}}]})";

TEST(Hrana, DecodesAnExecuteResult) {
  std::vector<hrana::stream_request> req{hrana::execute_request{}};
  auto r = hrana::decode_pipeline(real_execute_response, req);
  ASSERT_TRUE(r) << r.err().describe();
  const auto& s = std::get<hrana::stmt_result>(r->at(0));
  ASSERT_EQ(s.cols.size(), 6u);
  EXPECT_EQ(s.cols[0].name, "a");
  EXPECT_EQ(s.cols[0].decl_type, "INTEGER");
  EXPECT_FALSE(s.cols[1].decl_type);
  ASSERT_EQ(s.rows.size(), 1u);
  const auto& row = s.rows[0];
  EXPECT_EQ(std::get<std::int64_t>(row[0]), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(std::get<double>(row[1]), 1.0);
  EXPECT_TRUE(std::isnan(std::get<double>(row[2])));
  EXPECT_EQ(std::get<std::string>(row[3]), "x");
  EXPECT_EQ(std::get<db::blob>(row[4]), (db::blob{1, 2, 3, 4}));
  EXPECT_TRUE(db::is_null(row[5]));
  EXPECT_FALSE(s.last_insert_rowid);
}

TEST(Hrana, DecodesBatchResultsAndRequestErrors) {
  std::vector<hrana::stream_request> req{
      hrana::batch_request{{{std::nullopt, {"a", {}, true}}, {std::nullopt, {"b", {}, true}}, {std::nullopt, {"c", {}, true}}}},
      hrana::execute_request{}};
  const char* body = R"({"results":[
    {"type":"ok","response":{"type":"batch","result":{"step_results":[{"cols":[],"rows":[]},null,null],
      "step_errors":[null,{"message":"UNIQUE constraint failed: t.id","code":"BATCH_STEP_ERROR"},null]}}},
    {"type":"error","error":{"message":"no such table: nope","code":"PREPARE_ERROR"}}]})";
  auto r = hrana::decode_pipeline(body, req);
  ASSERT_TRUE(r) << r.err().describe();
  const auto& b = std::get<hrana::batch_result>(r->at(0));
  EXPECT_TRUE(b.step_results[0]);
  EXPECT_FALSE(b.step_results[1]);
  EXPECT_FALSE(b.step_results[2]);  // skipped
  EXPECT_FALSE(b.step_errors[0]);
  ASSERT_TRUE(b.step_errors[1]);
  EXPECT_EQ(b.step_errors[1]->code, "BATCH_STEP_ERROR");
  EXPECT_FALSE(b.step_errors[2]);
  const auto& e = std::get<hrana::server_error>(r->at(1));
  EXPECT_EQ(e.message, "no such table: nope");
  EXPECT_EQ(e.code, "PREPARE_ERROR");
}

TEST(Hrana, MalformedResponsesAreProtocolErrors) {
  std::vector<hrana::stream_request> exec{hrana::execute_request{}};
  std::vector<hrana::stream_request> batch2{hrana::batch_request{{{}, {}}}};
  const auto ok_with = [](const std::string& result) {
    return R"({"results":[{"type":"ok","response":{"type":"execute","result":)" + result + "}}]}";
  };
  const std::vector<std::pair<std::string, std::span<const hrana::stream_request>>> cases = {
      {"", exec},
      {"not json", exec},
      {"{\"results\":[", exec},  // truncated
      {"[]", exec},
      {"{}", exec},
      {R"({"results":{}})", exec},
      {R"({"results":[]})", exec},  // wrong count
      {R"({"results":[{"type":"ok"}]})", exec},
      {R"({"results":[{"type":"weird"}]})", exec},
      {R"({"results":[{"type":"error","error":{}}]})", exec},
      {R"({"results":[{"type":"ok","response":{"type":"batch","result":{}}}]})", exec},
      {ok_with(R"({"rows":[]})"), exec},
      {ok_with(R"({"cols":[],"rows":[[{"type":"null"}]]})"), exec},  // row longer than cols
      {ok_with(R"({"cols":[{"name":"a"}],"rows":[[{"type":"integer","value":"12x"}]]})"), exec},
      {ok_with(R"({"cols":[{"name":"a"}],"rows":[[{"type":"integer","value":"99999999999999999999"}]]})"), exec},
      {ok_with(R"({"cols":[{"name":"a"}],"rows":[[{"type":"integer","value":1.5}]]})"), exec},
      {ok_with(R"({"cols":[{"name":"a"}],"rows":[[{"type":"float","value":"1"}]]})"), exec},
      {ok_with(R"({"cols":[{"name":"a"}],"rows":[[{"type":"blob","base64":"!!"}]]})"), exec},
      {ok_with(R"({"cols":[{"name":"a"}],"rows":[[{"type":"text","value":3}]]})"), exec},
      {ok_with(R"({"cols":[{"name":"a"}],"rows":[[{"type":"date"}]]})"), exec},
      {ok_with(R"({"cols":[{"name":"a"}],"rows":[[5]]})"), exec},
      {ok_with(R"({"cols":[],"rows":[],"last_insert_rowid":"x"})"), exec},
      {R"({"results":[{"type":"ok","response":{"type":"batch","result":{"step_results":[null],"step_errors":[null]}}}]})", batch2},
  };
  for (const auto& [body, requests] : cases) {
    auto r = hrana::decode_pipeline(body, requests);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.err().code, errc::protocol_error) << body;
  }
}

TEST(Hrana, HostileJsonDoesNotCrash) {
  std::vector<hrana::stream_request> exec{hrana::execute_request{}};
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_FALSE(hrana::decode_pipeline(deep, exec));
  const std::string deep_object = R"({"results":[)" + std::string(100000, '[') + "]}";
  EXPECT_FALSE(hrana::decode_pipeline(deep_object, exec));
  // Random mutations of a valid response: any outcome but a crash.
  std::mt19937 rng(11);
  const std::string valid = real_execute_response;
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % mutated.size();
      switch (rng() % 3) {
        case 0: mutated[at] = static_cast<char>(rng()); break;
        case 1: mutated.erase(at, 1 + rng() % 8); break;
        default: mutated.insert(at, 1, "{}[]\",:0-e"[rng() % 10]); break;
      }
    }
    (void)hrana::decode_pipeline(mutated, exec);
  }
}

// ---- /pull-updates protobuf ----------------------------------------------------------------

TEST(PullProtocol, EncodesRequests) {
  EXPECT_EQ(encode_pull_request({}), "");  // bootstrap: empty body
  pull_request incremental;
  incremental.client_revision = "14";
  EXPECT_EQ(encode_pull_request(incremental), std::string("\x1a\x02" "14", 4));
  pull_request full;
  full.server_revision = "7";
  full.client_revision = "3";
  full.server_pages_selector = {0xaa, 0xbb};
  full.kind = stream_kind::mvcc_logical_log;
  EXPECT_EQ(encode_pull_request(full), std::string("\x12\x01" "7" "\x1a\x01" "3" "\x2a\x02\xaa\xbb" "\x40\x01", 12));
}

struct collected {
  std::vector<pull_header> headers;
  std::vector<std::pair<std::uint64_t, bytes>> pages;
};

pull_stream_decoder collecting_decoder(collected& c) {
  return pull_stream_decoder(
      [&c](const pull_header& h) {
        c.headers.push_back(h);
        return result<void>{};
      },
      [&c](std::uint64_t id, page_span p) {
        c.pages.emplace_back(id, bytes(p.begin(), p.end()));
        return result<void>{};
      });
}

void put_varint(bytes& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

void put_message(bytes& out, const bytes& message) {
  put_varint(out, message.size());
  out.insert(out.end(), message.begin(), message.end());
}

bytes page_message(std::optional<std::uint64_t> id, std::size_t size, std::uint8_t fill) {
  bytes m;
  if (id) {
    m.push_back(0x08);
    put_varint(m, *id);
  }
  m.push_back(0x12);
  put_varint(m, size);
  m.insert(m.end(), size, fill);
  return m;
}

const bytes observed_header = {0x07, 0x0a, 0x01, 0x36, 0x10, 0x02, 0x1a, 0x00};  // research §3

TEST(PullProtocol, DecodesTheObservedHeaderAndPages) {
  bytes stream = observed_header;
  put_message(stream, page_message(std::nullopt, page_size, 0x11));  // page 0: id omitted
  put_message(stream, page_message(1, page_size, 0x22));
  collected c;
  auto d = collecting_decoder(c);
  ASSERT_TRUE(d.feed(stream));
  ASSERT_TRUE(d.finish());
  ASSERT_EQ(c.headers.size(), 1u);
  EXPECT_EQ(c.headers[0].server_revision, "6");
  EXPECT_EQ(c.headers[0].db_size, 2u);
  EXPECT_TRUE(c.headers[0].raw_encoding);
  ASSERT_EQ(c.pages.size(), 2u);
  EXPECT_EQ(c.pages[0].first, 0u);
  EXPECT_EQ(c.pages[0].second, bytes(page_size, 0x11));
  EXPECT_EQ(c.pages[1].first, 1u);
  EXPECT_EQ(d.pages_seen(), 2u);
}

TEST(PullProtocol, FeedingByteByByteGivesTheSameResult) {
  bytes stream = observed_header;
  for (std::uint64_t id : {3u, 0u, 70000u}) put_message(stream, page_message(id, page_size, static_cast<std::uint8_t>(id)));
  collected whole, split;
  auto a = collecting_decoder(whole);
  ASSERT_TRUE(a.feed(stream));
  ASSERT_TRUE(a.finish());
  auto b = collecting_decoder(split);
  for (const auto byte : stream) ASSERT_TRUE(b.feed(std::span<const std::uint8_t>(&byte, 1)));
  ASSERT_TRUE(b.finish());
  EXPECT_EQ(whole.pages, split.pages);
  EXPECT_EQ(split.pages.at(2).first, 70000u);
}

TEST(PullProtocol, SkipsUnknownFields) {
  bytes header = {0x0a, 0x02, '1', '4', 0x10, 0x05, 0x1a, 0x00,
                  0x40, 0x01,                           // field 8 (protocol, added in 0.7.2)
                  0x4d, 1, 2, 3, 4,                     // field 9, fixed32
                  0x51, 1, 2, 3, 4, 5, 6, 7, 8,         // field 10, fixed64
                  0x5a, 0x03, 'a', 'b', 'c'};           // field 11, bytes
  bytes stream;
  put_message(stream, header);
  bytes page = page_message(9, page_size, 7);
  page.insert(page.end(), {0x18, 0x2a});  // field 3, varint
  put_message(stream, page);
  collected c;
  auto d = collecting_decoder(c);
  ASSERT_TRUE(d.feed(stream));
  ASSERT_TRUE(d.finish());
  EXPECT_EQ(c.headers.at(0).server_revision, "14");
  EXPECT_EQ(c.headers.at(0).db_size, 5u);
  EXPECT_EQ(c.pages.at(0).first, 9u);
}

TEST(PullProtocol, HeaderOnlyStreamIsValid) {
  collected c;
  auto d = collecting_decoder(c);
  ASSERT_TRUE(d.feed(observed_header));
  ASSERT_TRUE(d.finish());
  EXPECT_TRUE(c.pages.empty());
}

result<void> decode_all(const bytes& stream) {
  collected c;
  auto d = collecting_decoder(c);
  auto fed = d.feed(stream);
  if (!fed) return fed;
  return d.finish();
}

TEST(PullProtocol, RejectsMalformedStreams) {
  const auto with_header = [](const bytes& tail) {
    bytes s = observed_header;
    s.insert(s.end(), tail.begin(), tail.end());
    return s;
  };
  bytes short_page, long_page, no_page, huge_id, wrong_type, overlong_varint, huge_message, truncated, group;
  put_message(short_page, page_message(1, page_size - 1, 0));
  put_message(long_page, page_message(1, page_size + 1, 0));
  put_message(no_page, bytes{0x08, 0x01});
  put_message(huge_id, page_message(max_page_id + 1, page_size, 0));
  put_message(wrong_type, bytes{0x0d, 1, 2, 3, 4});  // page_id as fixed32
  overlong_varint = bytes(11, 0xff);
  put_varint(huge_message, (1u << 20) + 1);
  truncated = page_message(1, page_size, 0);
  truncated.resize(100);
  bytes truncated_stream;
  put_varint(truncated_stream, page_message(1, page_size, 0).size());
  truncated_stream.insert(truncated_stream.end(), truncated.begin(), truncated.end());
  put_message(group, bytes{0x0b});  // wire type 3 (group start)

  const std::vector<std::pair<const char*, bytes>> cases = {
      {"empty body", {}},
      {"short page", with_header(short_page)},
      {"long page", with_header(long_page)},
      {"page without data", with_header(no_page)},
      {"page id too large", with_header(huge_id)},
      {"wrong wire type", with_header(wrong_type)},
      {"overlong length", overlong_varint},
      {"message over 1 MiB", with_header(huge_message)},
      {"truncated page", with_header(truncated_stream)},
      {"dangling length byte", with_header({0x85})},
      {"group wire type", with_header(group)},
      {"truncated header", {0x07, 0x0a, 0x01}},
      {"header field runs past message", {0x03, 0x0a, 0x05, 0x36}},
  };
  for (const auto& [name, stream] : cases) {
    auto r = decode_all(stream);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.err().code, errc::protocol_error) << name;
  }
}

TEST(PullProtocol, RefusesCompressedAndLogicalStreams) {
  bytes zstd, mvcc;
  put_message(zstd, bytes{0x0a, 0x01, '1', 0x22, 0x00});
  put_message(mvcc, bytes{0x0a, 0x01, '1', 0x28, 0x01});
  EXPECT_EQ(decode_all(zstd).err().code, errc::unsupported);
  EXPECT_EQ(decode_all(mvcc).err().code, errc::unsupported);
  bytes undeclared;  // pages without raw_encoding in the header
  put_message(undeclared, bytes{0x0a, 0x01, '1'});
  put_message(undeclared, page_message(0, page_size, 0));
  EXPECT_EQ(decode_all(undeclared).err().code, errc::protocol_error);
}

TEST(PullProtocol, ErrorsAreStickyAndHandlerErrorsStopTheStream) {
  bytes stream = observed_header;
  put_message(stream, page_message(1, page_size, 0));
  put_message(stream, page_message(2, page_size, 0));
  int pages = 0;
  pull_stream_decoder d(nullptr, [&](std::uint64_t, page_span) -> result<void> {
    ++pages;
    return fail(errc::io_error, "disk full");
  });
  auto r = d.feed(stream);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::io_error);
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(d.feed(observed_header).err().code, errc::io_error);
  EXPECT_EQ(d.finish().err().code, errc::io_error);
}

TEST(PullProtocol, FuzzEntryPointSurvivesRandomAndMutatedInput) {
  std::mt19937 rng(3);
  bytes valid = observed_header;
  for (std::uint64_t id : {0u, 1u}) put_message(valid, page_message(id, page_size, 0x5a));
  for (int i = 0; i < 2000; ++i) {
    bytes input;
    if (i % 2 == 0) {
      input.resize(rng() % 64);
      for (auto& b : input) b = static_cast<std::uint8_t>(rng());
    } else {
      input = valid;
      for (int e = 0; e < 3; ++e) {
        const std::size_t at = rng() % input.size();
        if (rng() % 2) input[at] = static_cast<std::uint8_t>(rng());
        else input.resize(at);
        if (input.empty()) break;
      }
    }
    EXPECT_EQ(decode_pull_stream_for_fuzz(input.data(), input.size()), 0);
  }
  EXPECT_EQ(decode_pull_stream_for_fuzz(valid.data(), valid.size()), 0);
  EXPECT_EQ(decode_pull_stream_for_fuzz(nullptr, 0), 0);
}

// ---- page selectors -------------------------------------------------------------------------

TEST(PageSelector, EncodesThePortableFormat) {
  const std::vector<std::uint32_t> one{1};
  // cookie 12346, 1 container; key 0, cardinality-1 0; offset 16; value 1
  const bytes expected = {0x3a, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 0};
  EXPECT_EQ(encode_page_selector(one), expected);
}

TEST(PageSelector, RoundTripsSmallAndLargeSets) {
  std::vector<std::uint32_t> ids{5, 0, 1, 5, 70000};
  auto back = decode_page_selector(encode_page_selector(ids));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, (std::vector<std::uint32_t>{0, 1, 5, 70000}));
  std::vector<std::uint32_t> dense(10000);
  for (std::uint32_t i = 0; i < dense.size(); ++i) dense[i] = i * 2;  // > 4096 per container: bitmap
  auto dense_back = decode_page_selector(encode_page_selector(dense));
  ASSERT_TRUE(dense_back);
  EXPECT_EQ(*dense_back, dense);
  EXPECT_FALSE(decode_page_selector(bytes{1, 2, 3}));
  EXPECT_FALSE(decode_page_selector(bytes{}));
}

// ---- atomic batch ---------------------------------------------------------------------------

TEST(AtomicBatch, HasTheOkChainedShape) {
  auto steps = build_atomic_batch({hrana::stmt{"INSERT 1", {}, false}, hrana::stmt{"INSERT 2", {}, false}});
  ASSERT_EQ(steps.size(), 5u);
  const json j = encode({hrana::batch_request{steps}});
  const json& s = j["requests"][0]["batch"]["steps"];
  EXPECT_EQ(s[0]["stmt"]["sql"], "BEGIN IMMEDIATE");
  EXPECT_FALSE(s[0].contains("condition"));
  EXPECT_EQ(s[1]["condition"], (json{{"type", "ok"}, {"step", 0}}));
  EXPECT_EQ(s[2]["condition"], (json{{"type", "ok"}, {"step", 1}}));
  EXPECT_EQ(s[3]["stmt"]["sql"], "COMMIT");
  EXPECT_EQ(s[3]["condition"], (json{{"type", "ok"}, {"step", 2}}));
  EXPECT_EQ(s[4]["stmt"]["sql"], "ROLLBACK");
  EXPECT_EQ(s[4]["condition"], json::parse(R"({"type":"and","conds":[{"type":"ok","step":0},
      {"type":"not","cond":{"type":"ok","step":3}},{"type":"not","cond":{"type":"is_autocommit"}}]})"));
}

TEST(AtomicBatch, JudgesOutcomes) {
  auto http = http_client::create("http://127.0.0.1:1", std::nullopt);
  ASSERT_TRUE(http);
  const auto outcome = [](std::vector<int> results, std::vector<int> errors) {
    hrana::batch_result r;
    for (int x : results) r.step_results.push_back(x ? std::optional<hrana::stmt_result>(hrana::stmt_result{}) : std::nullopt);
    for (int x : errors) {
      r.step_errors.push_back(x ? std::optional<hrana::server_error>(hrana::server_error{"boom", "BATCH_STEP_ERROR"})
                                : std::nullopt);
    }
    return r;
  };
  EXPECT_TRUE(check_atomic_batch(*http, outcome({1, 1, 1, 1, 0}, {0, 0, 0, 0, 0}), 2));
  EXPECT_EQ(check_atomic_batch(*http, outcome({0, 0, 0, 0, 0}, {1, 0, 0, 0, 0}), 2).err().code, errc::busy);
  auto middle = check_atomic_batch(*http, outcome({1, 1, 0, 0, 1}, {0, 0, 1, 0, 0}), 2);
  EXPECT_EQ(middle.err().code, errc::sql_error);
  EXPECT_NE(middle.err().message.find("statement 2 of 2"), std::string::npos);
  EXPECT_EQ(check_atomic_batch(*http, outcome({1, 1, 1, 0, 1}, {0, 0, 0, 1, 0}), 2).err().code, errc::sql_error);
  EXPECT_EQ(check_atomic_batch(*http, outcome({1, 0, 0, 0, 0}, {0, 1, 0, 0, 1}), 2).err().code, errc::protocol_error);
  EXPECT_EQ(check_atomic_batch(*http, outcome({1, 1, 1}, {0, 0, 0}), 2).err().code, errc::protocol_error);
}

TEST(AtomicBatch, RecognisesTransactionControl) {
  for (const char* sql : {"BEGIN", "begin immediate", "  -- c\n COMMIT", "/* x */end", "Rollback to s", "SAVEPOINT a",
                          "release a"}) {
    EXPECT_TRUE(is_transaction_control(sql)) << sql;
  }
  for (const char* sql : {"SELECT 1", "INSERT INTO begin_log VALUES (1)", "beginning", "", "-- BEGIN", "/* unterminated"}) {
    EXPECT_FALSE(is_transaction_control(sql)) << sql;
  }
}

// ---- page files -----------------------------------------------------------------------------

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() / ("patina-codec-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

bytes sqlite_page0() {
  bytes p(page_size, 0);
  std::memcpy(p.data(), "SQLite format 3", 16);
  p[16] = 0x10;
  p[17] = 0x00;
  p[18] = 2;
  p[19] = 2;
  return p;
}

bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), {});
}

TEST(PageFile, BootstrapWritesPagesAndMovesIntoPlace) {
  temp_dir dir;
  const auto target = dir.path / "local.db";
  auto b = bootstrap_file::create(target);
  ASSERT_TRUE(b);
  const bytes page0 = sqlite_page0();
  const bytes page1(page_size, 0x42);
  ASSERT_TRUE(b->write_page(1, page_span(page1.data(), page_size)));
  ASSERT_TRUE(b->write_page(0, page_span(page0.data(), page_size)));
  const auto temp = b->temp_path();
  EXPECT_FALSE(std::filesystem::exists(target));
  ASSERT_TRUE(b->commit(2));
  EXPECT_FALSE(std::filesystem::exists(temp));
  const bytes file = read_file(target);
  ASSERT_EQ(file.size(), 2 * page_size);
  EXPECT_TRUE(std::equal(page0.begin(), page0.end(), file.begin()));
  EXPECT_TRUE(std::equal(page1.begin(), page1.end(), file.begin() + page_size));
}

TEST(PageFile, BootstrapRefusesIncompleteOrForeignPages) {
  temp_dir dir;
  const auto target = dir.path / "local.db";
  const bytes page0 = sqlite_page0();
  {
    auto b = bootstrap_file::create(target);
    ASSERT_TRUE(b->write_page(0, page_span(page0.data(), page_size)));
    auto r = b->commit(3);  // pages 2 and 3 never came
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, errc::protocol_error);
    EXPECT_NE(r.err().message.find("page 2"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "local.db.bootstrap"));  // removed when abandoned
  {
    auto b = bootstrap_file::create(target);
    EXPECT_EQ(b->commit(0).err().code, errc::protocol_error);
  }
  {
    bytes mvcc = page0;
    mvcc[18] = mvcc[19] = 0xff;
    auto b = bootstrap_file::create(target);
    ASSERT_TRUE(b->write_page(0, page_span(mvcc.data(), page_size)));
    EXPECT_EQ(b->commit(1).err().code, errc::unsupported);
  }
  {
    bytes sized = page0;  // header says 5 pages (valid: change counter == version-valid-for)
    sized[27] = 1;
    sized[95] = 1;
    sized[31] = 5;
    auto b = bootstrap_file::create(target);
    ASSERT_TRUE(b->write_page(0, page_span(sized.data(), page_size)));
    auto r = b->commit(1);
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message.find("describe a database of 5 pages"), std::string::npos) << r.err().message;
  }
  {
    const bytes junk(page_size, 0x33);
    auto b = bootstrap_file::create(target);
    ASSERT_TRUE(b->write_page(0, page_span(junk.data(), page_size)));
    EXPECT_EQ(b->commit(1).err().code, errc::protocol_error);
  }
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(PageFile, StageRoundTripsAndAppliesIdempotently) {
  temp_dir dir;
  const auto db = dir.path / "local.db";
  const auto stage_path = dir.path / "local.db.pull";
  {
    std::ofstream out(db, std::ios::binary);
    const bytes page0 = sqlite_page0();
    out.write(reinterpret_cast<const char*>(page0.data()), static_cast<std::streamsize>(page0.size()));
    const bytes filler(3 * page_size, 0x01);
    out.write(reinterpret_cast<const char*>(filler.data()), static_cast<std::streamsize>(filler.size()));
  }
  auto stage = page_stage::create(stage_path);
  ASSERT_TRUE(stage);
  const bytes p2(page_size, 0x22), p5(page_size, 0x55), p9(page_size, 0x99);
  ASSERT_TRUE(stage->add(2, page_span(p2.data(), page_size)));
  ASSERT_TRUE(stage->add(5, page_span(p5.data(), page_size)));
  ASSERT_TRUE(stage->add(9, page_span(p9.data(), page_size)));  // past the new end: dropped
  ASSERT_TRUE(stage->seal("42", 6));
  auto info = read_page_stage(stage_path);
  ASSERT_TRUE(info) << info.err().describe();
  EXPECT_EQ(info->server_revision, "42");
  EXPECT_EQ(info->db_size, 6u);
  EXPECT_EQ(info->pages, 3u);

  ASSERT_TRUE(apply_page_stage(stage_path, db));
  const bytes once = read_file(db);
  ASSERT_EQ(once.size(), 6 * page_size);
  EXPECT_EQ(once[2 * page_size], 0x22);
  EXPECT_EQ(once[3 * page_size], 0x01);
  EXPECT_EQ(once[4 * page_size], 0x00);  // the gap the file grew by
  EXPECT_EQ(once[5 * page_size], 0x55);
  ASSERT_TRUE(apply_page_stage(stage_path, db));
  EXPECT_EQ(read_file(db), once);
}

TEST(PageFile, DamagedOrUnsealedStagesAreRefused) {
  temp_dir dir;
  const auto stage_path = dir.path / "s";
  const bytes p(page_size, 0x22);
  {
    auto unsealed = page_stage::create(stage_path);
    ASSERT_TRUE(unsealed->add(1, page_span(p.data(), page_size)));
  }
  EXPECT_EQ(read_page_stage(stage_path).err().code, errc::corrupt_database);
  {
    auto sealed = page_stage::create(stage_path);
    ASSERT_TRUE(sealed->add(1, page_span(p.data(), page_size)));
    ASSERT_TRUE(sealed->seal("7", 2));
  }
  ASSERT_TRUE(read_page_stage(stage_path));
  bytes content = read_file(stage_path);
  for (const std::size_t at : {std::size_t{3}, std::size_t{100}, content.size() - 20, content.size() - 1}) {
    bytes damaged = content;
    damaged[at] ^= 0x01;
    std::ofstream(stage_path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(damaged.data()), static_cast<std::streamsize>(damaged.size()));
    EXPECT_EQ(read_page_stage(stage_path).err().code, errc::corrupt_database) << at;
  }
  bytes shortened(content.begin(), content.end() - 1);
  std::ofstream(stage_path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(shortened.data()), static_cast<std::streamsize>(shortened.size()));
  EXPECT_EQ(read_page_stage(stage_path).err().code, errc::corrupt_database);
  EXPECT_EQ(read_page_stage(dir.path / "absent").err().code, errc::io_error);
}

}  // namespace
}  // namespace patina::db::turso::sync
