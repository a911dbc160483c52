// Private: USE-lite's tokenizer, a port of the JavaScript one that ships with the
// model (@energetic-ai/embeddings 0.2.0), quirks included, so that token ids match
// the reference pipeline exactly:
//   * text is NFKC-normalised (ICU), "▁" (U+2581) is put in front of a non-empty
//     text and every ASCII space becomes "▁"; there is no lower-casing;
//   * at every code point every vocabulary piece (ids >= 6) that starts there is
//     a candidate; where none does, the single code point is a candidate with id 0
//     and score 0;
//   * Viterbi over end positions keeps a candidate when best[end] == 0 or
//     score + best[start] >= best[end]: a real total of 0 counts as unset, and ties
//     go to the later start;
//   * a null score in vocab.json (seven pieces containing ':') counts as 0, so
//     those pieces nearly always win;
//   * a repeated piece keeps the later entry's id and score;
//   * backtracking steps back by the piece's length in UTF-16 code units;
//   * runs of id 0 collapse into one.
//
// Thread safety: immutable after load; encode may run on several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "patina/core/result.hpp"

namespace patina::embed::detail {

class use_tokenizer {
 public:
  // Reads vocab.json (an array of [piece, score|null] pairs). Fails with
  // missing_asset (no file), io_error (unreadable) or parse_error (malformed).
  static result<use_tokenizer> load(const std::filesystem::path& vocab_path);

  // Token ids of `text` (UTF-8; invalid bytes read as U+FFFD), not truncated.
  std::vector<std::int32_t> encode(std::string_view text) const;

  std::size_t vocabulary_size() const noexcept { return piece_utf16_length_.size(); }
  std::size_t memory_bytes() const noexcept;

 private:
  use_tokenizer() = default;
  std::int32_t child(std::int32_t node, char32_t code_point) const;

  // Per vocabulary id: the piece's length in UTF-16 code units.
  std::vector<std::uint8_t> piece_utf16_length_;
  // The trie: node 0 is the root; an edge key is (node << 32) | code point.
  std::vector<std::int32_t> node_piece_;  // vocabulary id ending at the node, or -1
  std::vector<double> node_score_;
  std::unordered_map<std::uint64_t, std::int32_t> edges_;
};

}  // namespace patina::embed::detail
