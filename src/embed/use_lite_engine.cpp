#include "patina/embed/use_lite_engine.hpp"

#include "asset_files.hpp"
#include "use_model.hpp"
#include "use_tokenizer.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <thread>

namespace patina::embed {

struct use_lite_engine::impl {
  detail::use_weights weights;
  detail::use_tokenizer tokenizer;
  unsigned batch_threads = 0;
};

static_assert(use_lite_engine::output_dimension == detail::use_width);
static_assert(use_lite_engine::max_tokens == detail::use_max_tokens);

use_lite_engine::use_lite_engine(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
use_lite_engine::~use_lite_engine() = default;

result<std::unique_ptr<use_lite_engine>> use_lite_engine::load(const std::filesystem::path& model_dir,
                                                               use_lite_options options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(model_dir, ec))
    return fail(errc::missing_asset,
                "the USE-lite model folder " + model_dir.string() + " does not exist; " +
                    std::string(detail::setup_hint));
  auto weights = detail::load_use_weights(model_dir);
  if (!weights) return fail(std::move(weights).err());
  const auto vocab_path = model_dir / "vocab.json";
  auto tokenizer = detail::use_tokenizer::load(vocab_path);
  if (!tokenizer) return fail(std::move(tokenizer).err());
  if (tokenizer->vocabulary_size() > weights->vocabulary_rows)
    return detail::asset_parse_error(vocab_path, "has more pieces than the model has embeddings");

  const unsigned hardware = std::max(1U, std::thread::hardware_concurrency());
  auto state = std::make_unique<impl>(impl{std::move(*weights), std::move(*tokenizer),
                                           options.batch_threads == 0 ? hardware : options.batch_threads});
  return std::unique_ptr<use_lite_engine>(new use_lite_engine(std::move(state)));
}

std::string use_lite_engine::model_id() const { return "use-lite@0.2.0"; }

std::vector<std::int32_t> use_lite_engine::tokenize(std::string_view text) const {
  return impl_->tokenizer.encode(text);
}

result<std::vector<float>> use_lite_engine::embed_ids(std::span<const std::int32_t> ids) const {
  if (ids.size() > max_tokens)
    return fail(errc::invalid_argument, "embed_ids takes at most " + std::to_string(max_tokens) + " token ids (got " +
                                            std::to_string(ids.size()) + "); use embed() for longer texts");
  for (const auto id : ids)
    if (id < 0 || static_cast<std::size_t>(id) >= impl_->weights.vocabulary_rows)
      return fail(errc::invalid_argument, "token id " + std::to_string(id) + " is outside the model's " +
                                              std::to_string(impl_->weights.vocabulary_rows) + " embeddings");
  return detail::use_forward(impl_->weights, ids);
}

std::vector<float> use_lite_engine::embed(std::string_view text) const {
  const auto ids = tokenize(text);
  if (ids.size() <= max_tokens) return detail::use_forward(impl_->weights, ids);

  // Longer texts: consecutive 128-token windows, mean weighted by token count.
  std::vector<double> sum(output_dimension, 0.0);
  for (std::size_t start = 0; start < ids.size(); start += max_tokens) {
    const auto window = std::span<const std::int32_t>(ids).subspan(start, std::min(max_tokens, ids.size() - start));
    const auto v = detail::use_forward(impl_->weights, window);
    for (std::size_t j = 0; j < output_dimension; ++j) sum[j] += static_cast<double>(window.size()) * v[j];
  }
  double squares = 0;
  for (const auto s : sum) squares += s * s;
  // Unit vectors with non-negative weights cannot sum to zero unless they cancel
  // exactly; guard the division all the same.
  const double norm = std::sqrt(std::max(squares, 1e-24));
  std::vector<float> out(output_dimension);
  for (std::size_t j = 0; j < output_dimension; ++j) out[j] = static_cast<float>(sum[j] / norm);
  return out;
}

std::vector<std::vector<float>> use_lite_engine::embed_batch(std::span<const std::string> texts) const {
  std::vector<std::vector<float>> out(texts.size());
  const std::size_t threads = std::min<std::size_t>(impl_->batch_threads, texts.size());
  if (threads <= 1) {
    for (std::size_t i = 0; i < texts.size(); ++i) out[i] = embed(texts[i]);
    return out;
  }
  // Texts are handed out one at a time, so long and short texts balance.
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr first_error;
  std::atomic_flag error_taken = ATOMIC_FLAG_INIT;
  auto work = [&] {
    try {
      for (std::size_t i = next++; i < texts.size() && !stop; i = next++) out[i] = embed(texts[i]);
    } catch (...) {
      stop = true;
      if (!error_taken.test_and_set()) first_error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
  return out;
}

std::size_t use_lite_engine::model_bytes() const noexcept {
  return impl_->weights.memory_bytes() + impl_->tokenizer.memory_bytes();
}

}  // namespace patina::embed
