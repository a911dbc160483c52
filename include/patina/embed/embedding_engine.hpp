/// @file
/// patina/embed/embedding_engine.hpp — the interface of a text embedder.
///
/// An embedding engine turns a text into a fixed-length vector of floats such that
/// texts with similar meaning (or, for the hashing engine, similar words) get
/// vectors with a high cosine similarity. Every vector an engine returns has
/// `dimension()` components and unit L2 length, so cosine similarity is a dot
/// product. `model_id()` names the model and its parameters; vectors are only
/// comparable between engines with the same model id, so callers store it next to
/// the vectors they keep.
///
/// Engines: `use_lite_engine` (Universal Sentence Encoder lite, 512-d) and
/// `hashing_engine` (deterministic character n-gram hashing, no model files).
///
/// Thread safety: every member function is const and may be called from several
/// threads at once on one engine; implementations keep no mutable shared state
/// (scratch memory is per call).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace patina::embed {

/// Turns text into a unit-length vector. Backend-agnostic; implementations:
/// hashing_engine (no model files) and use_lite_engine (USE-lite model).
/// Implementations are immutable after construction and thread-safe (see each).
class embedding_engine {
 public:
  virtual ~embedding_engine() = default;

  /// The model and its parameters, e.g. "use-lite@0.2.0" or "hashing-v1-256".
  virtual std::string model_id() const = 0;

  /// Number of components of every vector this engine returns.
  virtual std::size_t dimension() const = 0;

  /// The unit-length embedding of `text` (UTF-8; invalid sequences are read as
  /// U+FFFD). Any text, including the empty one, has an embedding.
  virtual std::vector<float> embed(std::string_view text) const = 0;

  /// The embeddings of `texts`, in order. Element i equals `embed(texts[i])`
  /// exactly; engines may spread the work over several threads.
  virtual std::vector<std::vector<float>> embed_batch(std::span<const std::string> texts) const;

 protected:
  embedding_engine() = default;
  /// Copying and moving are for implementations only (no slicing through the base).
  embedding_engine(const embedding_engine&) = default;
  /// See the copy constructor.
  embedding_engine& operator=(const embedding_engine&) = default;
  /// See the copy constructor.
  embedding_engine(embedding_engine&&) = default;
  /// See the copy constructor.
  embedding_engine& operator=(embedding_engine&&) = default;
};

}  // namespace patina::embed
