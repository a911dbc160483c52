#include "db/turso/sync/page_selector.hpp"

#include <roaring/roaring.h>

#include <memory>
#include <new>

namespace patina::db::turso::sync {

namespace {

struct bitmap_deleter {
  void operator()(roaring_bitmap_t* b) const noexcept { roaring_bitmap_free(b); }
};
using bitmap_ptr = std::unique_ptr<roaring_bitmap_t, bitmap_deleter>;

}  // namespace

std::vector<std::uint8_t> encode_page_selector(std::span<const std::uint32_t> page_ids) {
  bitmap_ptr bitmap(roaring_bitmap_create());
  if (!bitmap) throw std::bad_alloc();
  roaring_bitmap_add_many(bitmap.get(), page_ids.size(), page_ids.data());
  std::vector<std::uint8_t> out(roaring_bitmap_portable_size_in_bytes(bitmap.get()));
  const std::size_t written = roaring_bitmap_portable_serialize(bitmap.get(), reinterpret_cast<char*>(out.data()));
  out.resize(written);
  return out;
}

result<std::vector<std::uint32_t>> decode_page_selector(std::span<const std::uint8_t> bytes) {
  const char* data = reinterpret_cast<const char*>(bytes.data());
  // deserialize_size validates the layout against the buffer before anything is read.
  const std::size_t needed = roaring_bitmap_portable_deserialize_size(data, bytes.size());
  if (needed == 0 || needed != bytes.size()) {
    return fail(errc::parse_error, "a page selector is not a valid portable RoaringBitmap");
  }
  bitmap_ptr bitmap(roaring_bitmap_portable_deserialize_safe(data, bytes.size()));
  if (!bitmap) return fail(errc::parse_error, "a page selector is not a valid portable RoaringBitmap");
  std::vector<std::uint32_t> out(roaring_bitmap_get_cardinality(bitmap.get()));
  roaring_bitmap_to_uint32_array(bitmap.get(), out.data());
  return out;
}

}  // namespace patina::db::turso::sync
