#include "use_tokenizer.hpp"

#include "asset_files.hpp"

#include <nlohmann/json.hpp>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <string>

namespace patina::embed::detail {
namespace {

// Ids below this are reserved (unknown, <s>, </s>, three extra tokens) and are
// never matched against the text.
constexpr std::size_t reserved_ids = 6;
constexpr char32_t word_separator = U'\u2581';
constexpr std::int32_t unknown_id = 0;

std::vector<char32_t> code_points(const icu::UnicodeString& s) {
  std::vector<char32_t> out;
  out.reserve(static_cast<std::size_t>(s.length()));
  for (std::int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

icu::UnicodeString from_utf8(std::string_view text) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())));
}

}  // namespace

result<use_tokenizer> use_tokenizer::load(const std::filesystem::path& vocab_path) {
  auto bytes = read_asset_file(vocab_path);
  if (!bytes) return fail(std::move(bytes).err());
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(*bytes);
  } catch (const nlohmann::json::exception& e) {
    return asset_parse_error(vocab_path, "is not valid JSON", e.what());
  }
  if (!doc.is_array() || doc.size() <= reserved_ids)
    return asset_parse_error(vocab_path, "is not a list of [piece, score] pairs");

  use_tokenizer t;
  t.piece_utf16_length_.reserve(doc.size());
  t.node_piece_.push_back(-1);
  t.node_score_.push_back(0.0);
  for (std::size_t id = 0; id < doc.size(); ++id) {
    const auto& entry = doc[id];
    if (!entry.is_array() || entry.size() < 2 || !entry[0].is_string() ||
        !(entry[1].is_number() || entry[1].is_null()))
      return asset_parse_error(vocab_path, "has a malformed entry at index " + std::to_string(id));
    const icu::UnicodeString piece = from_utf8(entry[0].get_ref<const std::string&>());
    // Backtracking steps by this length; pieces are short words.
    if (piece.length() > 255)
      return asset_parse_error(vocab_path, "has an over-long piece at index " + std::to_string(id));
    t.piece_utf16_length_.push_back(static_cast<std::uint8_t>(piece.length()));
    if (id < reserved_ids || piece.isEmpty()) continue;

    // The JavaScript tokenizer adds null to a number, which reads it as 0.
    const double score = entry[1].is_null() ? 0.0 : entry[1].get<double>();
    std::int32_t node = 0;
    for (const char32_t c : code_points(piece)) {
      const std::uint64_t key = (static_cast<std::uint64_t>(node) << 32) | c;
      const auto found = t.edges_.find(key);
      if (found != t.edges_.end()) {
        node = found->second;
        continue;
      }
      const auto next = static_cast<std::int32_t>(t.node_piece_.size());
      t.node_piece_.push_back(-1);
      t.node_score_.push_back(0.0);
      t.edges_.emplace(key, next);
      node = next;
    }
    t.node_piece_[static_cast<std::size_t>(node)] = static_cast<std::int32_t>(id);
    t.node_score_[static_cast<std::size_t>(node)] = score;
  }
  return t;
}

std::int32_t use_tokenizer::child(std::int32_t node, char32_t code_point) const {
  const auto found = edges_.find((static_cast<std::uint64_t>(node) << 32) | code_point);
  return found == edges_.end() ? -1 : found->second;
}

std::vector<std::int32_t> use_tokenizer::encode(std::string_view text) const {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  icu::UnicodeString normalized = from_utf8(text);
  if (U_SUCCESS(status)) {
    icu::UnicodeString out = nfkc->normalize(normalized, status);
    // Defensive: ICU's built-in NFKC data cannot fail to load; keep the text as is.
    if (U_SUCCESS(status)) normalized = std::move(out);
  }
  if (normalized.isEmpty()) return {};

  std::vector<char32_t> symbols{word_separator};
  for (const char32_t c : code_points(normalized)) symbols.push_back(c == U' ' ? word_separator : c);
  const std::size_t n = symbols.size();

  // best[e]: score of the best segmentation of symbols[0, e); 0 means unset.
  // words[e]: the id of its last piece. Starts are visited in increasing order,
  // which is the order in which the JavaScript loop relaxes each end position.
  std::vector<double> best(n + 1, 0.0);
  std::vector<std::int32_t> words(n + 1, unknown_id);
  auto relax = [&](std::size_t start, std::size_t end, std::int32_t id, double score) {
    const double total = score + best[start];
    if (best[end] == 0.0 || total >= best[end]) {
      best[end] = total;
      words[end] = id;
    }
  };
  for (std::size_t start = 0; start < n; ++start) {
    bool matched = false;
    std::int32_t node = 0;
    for (std::size_t end = start; end < n; ++end) {
      node = child(node, symbols[end]);
      if (node < 0) break;
      const auto piece = node_piece_[static_cast<std::size_t>(node)];
      if (piece < 0) continue;
      matched = true;
      relax(start, end + 1, piece, node_score_[static_cast<std::size_t>(node)]);
    }
    if (!matched) relax(start, start + 1, unknown_id, 0.0);
  }

  std::vector<std::int32_t> ids;
  auto position = static_cast<std::ptrdiff_t>(n);
  bool previous_unknown = false;
  while (position > 0) {
    const std::int32_t id = words[static_cast<std::size_t>(position)];
    if (!(previous_unknown && id == unknown_id)) ids.push_back(id);
    previous_unknown = id == unknown_id;
    // A damaged vocabulary with an empty piece must not stall the loop.
    position -= std::max<std::ptrdiff_t>(1, piece_utf16_length_[static_cast<std::size_t>(id)]);
  }
  std::reverse(ids.begin(), ids.end());
  return ids;
}

std::size_t use_tokenizer::memory_bytes() const noexcept {
  // Approximate: an unordered_map node holds the pair, a next pointer and a hash.
  return piece_utf16_length_.size() + node_piece_.size() * sizeof(std::int32_t) +
         node_score_.size() * sizeof(double) +
         edges_.size() * (sizeof(std::uint64_t) + sizeof(std::int32_t) + 2 * sizeof(void*)) +
         edges_.bucket_count() * sizeof(void*);
}

}  // namespace patina::embed::detail
