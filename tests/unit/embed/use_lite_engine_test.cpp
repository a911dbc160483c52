// The USE-lite engine against the package's own JavaScript pipeline
// (tests/data/embed/use_lite_reference.json, made by tests/tools/make_use_reference.mjs).
// The model comes from scripts/setup; without it these tests fail and say so.
#include "patina/embed/use_lite_engine.hpp"

#include "patina/build_config.hpp"
#include "temp_folder.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

namespace patina::embed {
namespace {

std::filesystem::path model_dir() {
  if (const char* env = std::getenv("PATINA_MODEL_DIR"); env != nullptr && *env != '\0') return env;
  return std::filesystem::path(PATINA_DEPS_DIR) / "model-embeddings-en" / "dist";
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

struct reference_text {
  std::string text;
  std::vector<std::int32_t> ids;
  bool truncated_by_graph = false;
  std::vector<float> vector;
};

std::vector<reference_text> load_reference() {
  const auto path = std::filesystem::path(PATINA_TEST_SOURCE_DIR) / "tests/data/embed/use_lite_reference.json";
  std::ifstream in(path);
  const auto doc = nlohmann::json::parse(in);
  std::vector<reference_text> out;
  for (const auto& t : doc.at("texts"))
    out.push_back({t.at("text").get<std::string>(), t.at("ids").get<std::vector<std::int32_t>>(),
                   t.at("truncated_by_graph").get<bool>(), t.at("vector").get<std::vector<float>>()});
  return out;
}

class use_lite_engine_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = use_lite_engine::load(model_dir());
    if (loaded)
      engine_ = std::move(loaded).value().release();
    else
      load_error_ = new std::string(loaded.err().describe());
    reference_ = new std::vector<reference_text>(load_reference());
  }
  static void TearDownTestSuite() {
    delete engine_;
    delete load_error_;
    delete reference_;
    engine_ = nullptr;
    load_error_ = nullptr;
    reference_ = nullptr;
  }
  void SetUp() override {
    if (engine_ == nullptr)
      FAIL() << "the USE-lite model could not be loaded from " << model_dir()
             << " (run scripts/setup, which installs it): " << *load_error_;
  }

  static const use_lite_engine& engine() { return *engine_; }
  static const std::vector<reference_text>& reference() { return *reference_; }
  static const reference_text& reference_for(std::string_view prefix) {
    for (const auto& r : *reference_)
      if (r.text.starts_with(prefix)) return r;
    throw std::logic_error("no reference text starts with " + std::string(prefix));
  }

 private:
  static inline use_lite_engine* engine_ = nullptr;
  static inline std::string* load_error_ = nullptr;
  static inline std::vector<reference_text>* reference_ = nullptr;
};

TEST_F(use_lite_engine_test, describes_itself) {
  EXPECT_EQ(engine().model_id(), "use-lite@0.2.0");
  EXPECT_EQ(engine().dimension(), 512U);
  EXPECT_LE(engine().model_bytes(), std::size_t{64} << 20);
  EXPECT_GE(engine().model_bytes(), std::size_t{27} << 20);
}

TEST_F(use_lite_engine_test, reference_covers_the_tricky_cases) {
  EXPECT_GE(reference().size(), 20U);
  bool long_text = false;
  bool empty_text = false;
  for (const auto& r : reference()) {
    long_text = long_text || r.truncated_by_graph;
    empty_text = empty_text || r.text.empty();
  }
  EXPECT_TRUE(long_text);
  EXPECT_TRUE(empty_text);
}

TEST_F(use_lite_engine_test, token_ids_equal_the_javascript_tokenizer) {
  for (const auto& r : reference()) EXPECT_EQ(engine().tokenize(r.text), r.ids) << '"' << r.text << '"';
}

TEST_F(use_lite_engine_test, vectors_equal_tfjs_within_1e_5) {
  double worst = 0;
  for (const auto& r : reference()) {
    // The graph keeps the first 128 tokens of a longer text; compare that window.
    const auto v = r.truncated_by_graph
                       ? engine().embed_ids(std::span(r.ids).first(use_lite_engine::max_tokens)).value()
                       : engine().embed(r.text);
    ASSERT_EQ(v.size(), 512U);
    const double difference = max_abs_difference(v, r.vector);
    EXPECT_LE(difference, 1e-5) << '"' << r.text << '"';
    worst = std::max(worst, difference);
  }
  std::cout << "[ parity   ] max |C++ - TF.js| over " << reference().size() << " texts x 512 dims: " << worst
            << "\n";
}

TEST_F(use_lite_engine_test, vectors_have_unit_length) {
  for (const char* text : {"", "x", "The cat sat on the mat.", "東京は日本の首都です。"})
    EXPECT_NEAR(dot(engine().embed(text), engine().embed(text)), 1.0, 1e-5) << text;
}

TEST_F(use_lite_engine_test, similar_sentences_score_higher) {
  const auto sim = [&](const char* a, const char* b) { return dot(engine().embed(a), engine().embed(b)); };
  const double cat_kitten = sim("The cat sat on the mat.", "A kitten was sitting on the rug.");
  const double cat_stock = sim("The cat sat on the mat.", "The stock market fell sharply today.");
  const double file_file = sim("open a file and read its contents", "read file contents from disk");
  const double args_options = sim("parse command line arguments", "handle command-line options");
  // Figures measured with TF.js for the research note.
  EXPECT_NEAR(cat_kitten, 0.776, 0.005);
  EXPECT_NEAR(cat_stock, 0.158, 0.005);
  EXPECT_NEAR(file_file, 0.778, 0.005);
  EXPECT_NEAR(args_options, 0.651, 0.005);
  EXPECT_GT(cat_kitten, cat_stock + 0.5);
  EXPECT_GT(file_file, sim("open a file and read its contents", "The stock market fell sharply today.") + 0.3);
  EXPECT_GT(args_options, sim("parse command line arguments", "A kitten was sitting on the rug.") + 0.3);
}

TEST_F(use_lite_engine_test, long_texts_pool_every_window) {
  const auto& r = reference_for("Beliefs are short statements");
  const auto& ids = r.ids;
  ASSERT_GT(ids.size(), use_lite_engine::max_tokens);
  const auto whole = engine().embed(r.text);

  // The documented pooling: windows of 128 tokens, mean weighted by token count.
  std::vector<double> sum(512, 0.0);
  for (std::size_t start = 0; start < ids.size(); start += use_lite_engine::max_tokens) {
    const auto window = std::span(ids).subspan(start, std::min(use_lite_engine::max_tokens, ids.size() - start));
    const auto v = engine().embed_ids(window).value();
    for (std::size_t j = 0; j < 512; ++j) sum[j] += static_cast<double>(window.size()) * v[j];
  }
  double norm = 0;
  for (const auto s : sum) norm += s * s;
  norm = std::sqrt(norm);
  for (std::size_t j = 0; j < 512; ++j) EXPECT_NEAR(whole[j], sum[j] / norm, 1e-6);

  // Not truncated: the text's tail changes the vector.
  EXPECT_LT(dot(whole, r.vector), 0.999);
  std::string changed_tail = r.text;
  changed_tail.replace(changed_tail.rfind("The final paragraph"), std::string::npos,
                       "Completely different closing words about ships, oceans and storms at sea.");
  ASSERT_GT(engine().tokenize(changed_tail).size(), use_lite_engine::max_tokens);
  EXPECT_LT(dot(whole, engine().embed(changed_tail)), 0.9999);
  EXPECT_NEAR(dot(whole, whole), 1.0, 1e-5);
}

TEST_F(use_lite_engine_test, batch_equals_one_by_one) {
  std::vector<std::string> texts;
  for (const auto& r : reference()) texts.push_back(r.text);
  const auto batch = engine().embed_batch(texts);
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i], engine().embed(texts[i])) << texts[i];
  EXPECT_TRUE(engine().embed_batch(std::span<const std::string>()).empty());
}

TEST_F(use_lite_engine_test, batch_uses_any_thread_count_with_equal_results) {
  auto single = use_lite_engine::load(model_dir(), use_lite_options{1});
  auto three = use_lite_engine::load(model_dir(), use_lite_options{3});
  ASSERT_TRUE(single && three);
  const std::vector<std::string> texts{"alpha", "parseHTTPResponse", "", "The cat sat on the mat.", "x"};
  EXPECT_EQ((*single)->embed_batch(texts), (*three)->embed_batch(texts));
  EXPECT_EQ((*single)->embed_batch(texts), engine().embed_batch(texts));
}

TEST_F(use_lite_engine_test, embed_is_callable_from_several_threads) {
  const std::vector<std::string> texts{"std::vector<int>::push_back", "read file contents from disk"};
  const auto expected0 = engine().embed(texts[0]);
  const auto expected1 = engine().embed(texts[1]);
  std::vector<std::vector<float>> got(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] { got[t] = engine().embed(texts[t % 2]); });
  for (auto& t : threads) t.join();
  for (std::size_t t = 0; t < got.size(); ++t) EXPECT_EQ(got[t], t % 2 == 0 ? expected0 : expected1);
}

TEST_F(use_lite_engine_test, embed_ids_rejects_bad_input) {
  const std::vector<std::int32_t> too_many(use_lite_engine::max_tokens + 1, 7);
  const auto long_window = engine().embed_ids(too_many);
  ASSERT_FALSE(long_window);
  EXPECT_EQ(long_window.err().code, errc::invalid_argument);
  const std::vector<std::int32_t> bad_id{7, 8002};
  const auto outside = engine().embed_ids(bad_id);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.err().code, errc::invalid_argument);
  EXPECT_EQ(engine().embed_ids(std::span<const std::int32_t>()).value(), engine().embed(""));
}

// Damaged installs: a copy of the model folder (symlinks to the real files) with
// one file removed, truncated or overwritten.
class use_lite_damaged_model_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(model_dir()))
      FAIL() << "the USE-lite model is missing from " << model_dir() << "; run scripts/setup, which installs it";
    for (const auto& entry : std::filesystem::directory_iterator(model_dir()))
      std::filesystem::create_symlink(entry.path(), dir() / entry.path().filename());
  }
  const std::filesystem::path& dir() const { return folder_.path(); }

  void replace_with_bytes(const std::string& name, const std::string& bytes) {
    std::filesystem::remove(dir() / name);
    std::ofstream(dir() / name, std::ios::binary) << bytes;
  }

  // Loads and checks the error's code and that its message names `file` and the fix.
  void expect_error(errc code, const std::string& file) {
    const auto loaded = use_lite_engine::load(dir());
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.err().code, code) << loaded.err().describe();
    EXPECT_NE(loaded.err().message.find(file), std::string::npos) << loaded.err().message;
    EXPECT_NE(loaded.err().message.find("scripts/setup"), std::string::npos) << loaded.err().message;
  }

  testing::temp_folder folder_;
};

TEST_F(use_lite_damaged_model_test, the_intact_copy_loads) { EXPECT_TRUE(use_lite_engine::load(dir())); }

TEST_F(use_lite_damaged_model_test, missing_folder) {
  const auto loaded = use_lite_engine::load(dir() / "nowhere");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.err().code, errc::missing_asset);
  EXPECT_NE(loaded.err().message.find("scripts/setup"), std::string::npos);
}

TEST_F(use_lite_damaged_model_test, missing_shard) {
  std::filesystem::remove(dir() / "group1-shard3of7");
  expect_error(errc::missing_asset, "group1-shard3of7");
}

TEST_F(use_lite_damaged_model_test, truncated_shard) {
  std::string head(1000, '\0');
  std::ifstream(model_dir() / "group1-shard2of7", std::ios::binary).read(head.data(), 1000);
  replace_with_bytes("group1-shard2of7", head);
  expect_error(errc::missing_asset, "group1-shard2of7");
}

TEST_F(use_lite_damaged_model_test, over_long_last_shard) {
  std::ifstream in(model_dir() / "group1-shard7of7", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  replace_with_bytes("group1-shard7of7", bytes + "extra");
  expect_error(errc::missing_asset, "group1-shard7of7");
}

TEST_F(use_lite_damaged_model_test, missing_model_json) {
  std::filesystem::remove(dir() / "model.json");
  expect_error(errc::missing_asset, "model.json");
}

TEST_F(use_lite_damaged_model_test, unparsable_model_json) {
  replace_with_bytes("model.json", "{\"modelTopology\": {\"node\": [");
  expect_error(errc::parse_error, "model.json");
}

TEST_F(use_lite_damaged_model_test, model_json_without_a_needed_weight) {
  std::ifstream in(model_dir() / "model.json");
  auto doc = nlohmann::json::parse(in);
  auto& weights = doc["weightsManifest"][0]["weights"];
  for (auto& w : weights)
    if (w["name"] == "module/Encoder_en/hidden_layers/tanh_layer_0/bias") w["name"] = "renamed";
  replace_with_bytes("model.json", doc.dump());
  expect_error(errc::parse_error, "model.json");
}

TEST_F(use_lite_damaged_model_test, missing_vocabulary) {
  std::filesystem::remove(dir() / "vocab.json");
  expect_error(errc::missing_asset, "vocab.json");
}

TEST_F(use_lite_damaged_model_test, unparsable_vocabulary) {
  replace_with_bytes("vocab.json", "[[\"a\", 0], ");
  expect_error(errc::parse_error, "vocab.json");
}

}  // namespace
}  // namespace patina::embed
