#include "db/turso/sync/pull_protocol.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace patina::db::turso::sync {

namespace {

constexpr std::size_t max_message_bytes = std::size_t{1} << 20;
constexpr unsigned max_varint_bytes = 10;

enum wire_type : std::uint8_t { wire_varint = 0, wire_i64 = 1, wire_len = 2, wire_i32 = 5 };

// ---- encoding -------------------------------------------------------------------

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_tag(std::string& out, std::uint32_t field, wire_type type) { put_varint(out, (field << 3) | type); }

void put_bytes(std::string& out, std::uint32_t field, const void* data, std::size_t size) {
  put_tag(out, field, wire_len);
  put_varint(out, size);
  out.append(static_cast<const char*>(data), size);
}

// ---- decoding -------------------------------------------------------------------

failure malformed(std::string what) {
  return fail(errc::protocol_error,
              "the Turso server sent a page stream Patina cannot read; check that the server is a supported "
              "Turso version",
              std::move(what));
}

struct field {
  std::uint64_t number = 0;
  std::uint8_t type = 0;
  std::uint64_t number_value = 0;           // varint, i64, i32
  std::span<const std::uint8_t> bytes;      // len
};

// Reads the fields of one message, bounds-checked.
class field_reader {
 public:
  explicit field_reader(std::span<const std::uint8_t> data) : data_(data) {}

  bool done() const { return pos_ == data_.size(); }

  result<field> next() {
    auto tag = varint();
    if (!tag) return malformed("a field tag is truncated or too long");
    field f;
    f.number = *tag >> 3;
    f.type = static_cast<std::uint8_t>(*tag & 7);
    if (f.number == 0 || f.number > 0x1fffffff) return malformed("a field number is out of range");
    switch (f.type) {
      case wire_varint: {
        auto v = varint();
        if (!v) return malformed("a varint field is truncated or too long");
        f.number_value = *v;
        return f;
      }
      case wire_i64:
      case wire_i32: {
        const std::size_t width = f.type == wire_i64 ? 8 : 4;
        if (data_.size() - pos_ < width) return malformed("a fixed-width field is truncated");
        for (std::size_t i = 0; i < width; ++i) f.number_value |= std::uint64_t{data_[pos_ + i]} << (8 * i);
        pos_ += width;
        return f;
      }
      case wire_len: {
        auto n = varint();
        if (!n) return malformed("a length is truncated or too long");
        if (*n > data_.size() - pos_) return malformed("a length-delimited field runs past its message");
        f.bytes = data_.subspan(pos_, static_cast<std::size_t>(*n));
        pos_ += static_cast<std::size_t>(*n);
        return f;
      }
      default:
        return malformed("a field has the unsupported wire type " + std::to_string(f.type));
    }
  }

 private:
  std::optional<std::uint64_t> varint() {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < max_varint_bytes; ++i) {
      if (pos_ >= data_.size()) return std::nullopt;
      const std::uint8_t b = data_[pos_++];
      if (i == 9 && b > 1) return std::nullopt;  // more than 64 bits
      v |= std::uint64_t{b & 0x7fu} << (7 * i);
      if (!(b & 0x80)) return v;
    }
    return std::nullopt;
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

result<void> expect_type(const field& f, wire_type type, std::string_view name) {
  if (f.type != type) return malformed("the field " + std::string(name) + " has the wrong wire type");
  return {};
}

result<pull_header> parse_header(std::span<const std::uint8_t> message) {
  pull_header h;
  field_reader reader(message);
  while (!reader.done()) {
    auto f = reader.next();
    if (!f) return fail(std::move(f).err());
    result<void> typed;
    switch (f->number) {
      case 1:
        typed = expect_type(*f, wire_len, "server_revision");
        if (typed && f->bytes.size() > max_revision_bytes) return malformed("the server revision is too long");
        if (typed) h.server_revision.assign(f->bytes.begin(), f->bytes.end());
        break;
      case 2:
        typed = expect_type(*f, wire_varint, "db_size");
        h.db_size = f->number_value;
        break;
      case 3:
        typed = expect_type(*f, wire_len, "raw_encoding");
        h.raw_encoding = true;
        break;
      case 4:
        typed = expect_type(*f, wire_len, "zstd_encoding");
        h.zstd_encoding = true;
        break;
      case 5:
        typed = expect_type(*f, wire_varint, "stream_kind");
        h.kind = f->number_value;
        break;
      case 6:
        typed = expect_type(*f, wire_varint, "apply_mode");
        h.mode = f->number_value;
        break;
      case 7:
        typed = expect_type(*f, wire_len, "mvcc_log");
        h.has_mvcc_log = true;
        break;
      default:
        break;  // newer servers add fields (0.7.2: protocol = 8)
    }
    if (!typed) return fail(typed.err());
  }
  if (h.db_size > max_page_id + 1) return malformed("the database size is larger than SQLite allows");
  return h;
}

struct page_message {
  std::uint64_t id = 0;
  std::span<const std::uint8_t> data;
  bool has_data = false;
};

result<page_message> parse_page(std::span<const std::uint8_t> message) {
  page_message p;
  field_reader reader(message);
  while (!reader.done()) {
    auto f = reader.next();
    if (!f) return fail(std::move(f).err());
    result<void> typed;
    if (f->number == 1) {
      typed = expect_type(*f, wire_varint, "page_id");
      p.id = f->number_value;
    } else if (f->number == 2) {
      typed = expect_type(*f, wire_len, "encoded_page");
      p.data = f->bytes;
      p.has_data = true;
    }
    if (!typed) return fail(typed.err());
  }
  if (!p.has_data) return malformed("a page message has no page");
  if (p.data.size() != page_size) {
    return malformed("a page has " + std::to_string(p.data.size()) + " bytes instead of " + std::to_string(page_size));
  }
  if (p.id > max_page_id) return malformed("a page id is larger than SQLite allows");
  return p;
}

}  // namespace

std::string encode_pull_request(const pull_request& request) {
  std::string out;
  // Field 1 (encoding) stays at its default, RAW: 0.7.0 refuses zstd.
  if (!request.server_revision.empty()) {
    put_bytes(out, 2, request.server_revision.data(), request.server_revision.size());
  }
  if (!request.client_revision.empty()) {
    put_bytes(out, 3, request.client_revision.data(), request.client_revision.size());
  }
  if (!request.server_pages_selector.empty()) {
    put_bytes(out, 5, request.server_pages_selector.data(), request.server_pages_selector.size());
  }
  if (request.kind != stream_kind::pages) {
    put_tag(out, 8, wire_varint);
    put_varint(out, static_cast<std::uint64_t>(request.kind));
  }
  return out;
}

pull_stream_decoder::pull_stream_decoder(header_handler on_header, page_handler on_page)
    : on_header_(std::move(on_header)), on_page_(std::move(on_page)) {}

result<void> pull_stream_decoder::fail_with(error e) {
  failed_ = e;
  return fail(std::move(e));
}

result<void> pull_stream_decoder::on_message(std::span<const std::uint8_t> message) {
  if (!header_seen_) {
    auto h = parse_header(message);
    if (!h) return fail(std::move(h).err());
    header_ = std::move(*h);
    header_seen_ = true;
    if (header_.kind != static_cast<std::uint64_t>(stream_kind::pages) || header_.has_mvcc_log) {
      return fail(errc::unsupported,
                  "the Turso server sent a logical (MVCC) stream instead of pages; run the server in WAL mode");
    }
    if (header_.zstd_encoding) {
      return fail(errc::unsupported, "the Turso server sent zstd-compressed pages, which Patina did not ask for");
    }
    return on_header_ ? on_header_(header_) : result<void>{};
  }
  auto p = parse_page(message);
  if (!p) return fail(std::move(p).err());
  if (!header_.raw_encoding) return malformed("pages arrived but the header did not declare their encoding");
  ++pages_;
  return on_page_ ? on_page_(p->id, page_span(p->data.data(), page_size)) : result<void>{};
}

result<void> pull_stream_decoder::feed(std::span<const std::uint8_t> bytes) {
  if (failed_) return fail(*failed_);
  while (!bytes.empty()) {
    if (reading_length_) {
      const std::uint8_t b = bytes.front();
      bytes = bytes.subspan(1);
      if (length_shift_ == 63 && b > 1) return fail_with(malformed("a message length is longer than 64 bits").err);
      length_ |= std::uint64_t{b & 0x7fu} << length_shift_;
      if (b & 0x80) {
        length_shift_ += 7;
        if (length_shift_ > 63) return fail_with(malformed("a message length is longer than 64 bits").err);
        continue;
      }
      if (length_ > max_message_bytes) {
        return fail_with(malformed("a message of " + std::to_string(length_) + " bytes is over the 1 MiB limit").err);
      }
      reading_length_ = false;
      message_.clear();
      message_.reserve(static_cast<std::size_t>(length_));
    }
    const std::size_t want = static_cast<std::size_t>(length_) - message_.size();
    const std::size_t take = std::min(want, bytes.size());
    message_.insert(message_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    if (message_.size() == length_) {
      auto handled = on_message(message_);
      if (!handled) return fail_with(handled.err());
      reading_length_ = true;
      length_ = 0;
      length_shift_ = 0;
    }
  }
  return {};
}

result<void> pull_stream_decoder::finish() {
  if (failed_) return fail(*failed_);
  if (!reading_length_ || length_shift_ != 0) {
    return fail_with(malformed("the page stream ends in the middle of a message (truncated response)").err);
  }
  if (!header_seen_) return fail_with(malformed("the page stream has no header").err);
  return {};
}

}  // namespace patina::db::turso::sync

extern "C" int decode_pull_stream_for_fuzz(const std::uint8_t* data, std::size_t size) {
  using namespace patina::db::turso::sync;
  const std::span<const std::uint8_t> input(data, size);
  struct tally {
    std::uint64_t pages = 0;
    std::uint64_t id_sum = 0;
    std::uint64_t first_byte_sum = 0;
  };
  const auto run = [&](std::size_t piece) {
    tally t;
    pull_stream_decoder decoder([](const pull_header&) { return patina::result<void>{}; },
                                [&t](std::uint64_t id, page_span page) {
                                  ++t.pages;
                                  t.id_sum += id;
                                  t.first_byte_sum += page[0] + page[page_size - 1];
                                  return patina::result<void>{};
                                });
    bool ok = true;
    for (std::size_t at = 0; at < input.size() && ok; at += piece) {
      ok = decoder.feed(input.subspan(at, std::min(piece, input.size() - at))).has_value();
    }
    if (ok) ok = decoder.finish().has_value();
    return std::pair{ok, t};
  };
  const auto [whole_ok, whole] = run(input.size() + 1);
  const auto [split_ok, split] = run(7);
  // Feeding in pieces must not change the outcome.
  if (whole_ok != split_ok || whole.pages != split.pages || whole.id_sum != split.id_sum ||
      whole.first_byte_sum != split.first_byte_sum) {
    std::abort();
  }
  return 0;
}
