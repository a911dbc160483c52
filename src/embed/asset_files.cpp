#include "asset_files.hpp"

#include <fstream>
#include <system_error>

namespace patina::embed::detail {

result<std::uint64_t> asset_file_size(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return fail(errc::missing_asset, "model file " + path.string() + " is missing; " + std::string(setup_hint));
  const auto size = std::filesystem::file_size(path, ec);
  if (ec)
    return fail(errc::io_error,
                "cannot read the size of model file " + path.string() + "; " + std::string(setup_hint),
                ec.message());
  return static_cast<std::uint64_t>(size);
}

result<void> read_asset_bytes(const std::filesystem::path& path, char* destination, std::size_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in || !in.read(destination, static_cast<std::streamsize>(size)))
    return fail(errc::io_error, "cannot read model file " + path.string() +
                                    "; check its permissions, or " + std::string(setup_hint));
  return {};
}

result<std::string> read_asset_file(const std::filesystem::path& path) {
  auto size = asset_file_size(path);
  if (!size) return fail(std::move(size).err());
  std::string bytes(static_cast<std::size_t>(*size), '\0');
  if (auto read = read_asset_bytes(path, bytes.data(), bytes.size()); !read) return fail(read.err());
  return bytes;
}

failure asset_parse_error(const std::filesystem::path& path, std::string_view what, std::string detail) {
  return fail(errc::parse_error,
              "model file " + path.string() + " " + std::string(what) + "; " + std::string(setup_hint),
              std::move(detail));
}

}  // namespace patina::embed::detail
