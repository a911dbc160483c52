#include "db/turso/sync/pull_client.hpp"

#include <memory>
#include <optional>

namespace patina::db::turso::sync {

namespace {

constexpr std::string_view pull_route = "/pull-updates";

struct pull_state {
  std::optional<pull_stream_decoder> decoder;
  pull_header header;
  std::uint64_t body_bytes = 0;
};

awaitable<result<pull_outcome>> run_pull(http_client http, pull_request request,
                                         pull_stream_decoder::header_handler on_header,
                                         pull_stream_decoder::page_handler on_page) {
  auto state = std::make_shared<pull_state>();
  pull_state* raw = state.get();  // the decoder lives inside *state, so this never dangles
  state->decoder.emplace(
      [raw, on_header = std::move(on_header)](const pull_header& h) -> result<void> {
        raw->header = h;
        return on_header ? on_header(h) : result<void>{};
      },
      std::move(on_page));

  body_sink sink = [state](std::span<const std::uint8_t> piece) -> result<void> {
    state->body_bytes += piece.size();
    return state->decoder->feed(piece);
  };
  auto sent = co_await http.post_streamed(std::string(pull_route), "application/protobuf",
                                          encode_pull_request(request), std::move(sink));
  if (!sent) co_return fail(std::move(sent).err());
  auto finished = state->decoder->finish();
  if (!finished) co_return fail(finished.err());
  pull_outcome out;
  out.header = std::move(state->header);
  out.pages = state->decoder->pages_seen();
  out.body_bytes = state->body_bytes;
  co_return out;
}

}  // namespace

awaitable<result<pull_outcome>> pull_updates(const http_client& http, pull_request request,
                                             pull_stream_decoder::header_handler on_header,
                                             pull_stream_decoder::page_handler on_page) {
  return run_pull(http, std::move(request), std::move(on_header), std::move(on_page));
}

}  // namespace patina::db::turso::sync
