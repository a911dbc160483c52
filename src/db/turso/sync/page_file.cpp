#include "db/turso/sync/page_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <roaring/roaring.h>

#include <array>
#include <new>
#include <cerrno>
#include <cstring>
#include <utility>

namespace patina::db::turso::sync {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view stage_magic = "PTNSTG01";
constexpr std::string_view seal_magic = "PTNSEAL1";
constexpr std::size_t record_bytes = 8 + page_size;
// revision length, db_size, count, checksum, seal magic
constexpr std::size_t trailer_fixed_bytes = 4 + 8 + 8 + 8 + 8;
constexpr std::size_t sqlite_header_bytes = 100;

failure io_failure(const std::string& what, const fs::path& path, int err = errno) {
  return fail(errc::io_error, what + " " + path.string() + "; check permissions and free space",
              std::strerror(err));
}

result<void> write_all(int fd, const void* data, std::size_t size, const fs::path& path) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_failure("cannot write", path);
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return {};
}

result<void> pwrite_all(int fd, const void* data, std::size_t size, std::uint64_t offset, const fs::path& path) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_failure("cannot write", path);
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return {};
}

// Reads exactly `size` bytes at `offset`; false at end of file.
result<bool> pread_all(int fd, void* data, std::size_t size, std::uint64_t offset, const fs::path& path) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_failure("cannot read", path);
    if (n == 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

result<void> sync_fd(int fd, const fs::path& path) {
  if (::fsync(fd) != 0) return io_failure("cannot flush", path);
  return {};
}

result<void> sync_parent(const fs::path& path) {
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return io_failure("cannot open the folder", dir);
  return sync_fd(fd.get(), dir);
}

// 64-bit FNV-1a: cheap, and enough to notice a torn or damaged stage file.
constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;
std::uint64_t fnv1a(std::uint64_t h, const std::uint8_t* data, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

void put_u64(std::uint8_t* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t get_u64(const std::uint8_t* in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{in[i]} << (8 * i);
  return v;
}

failure damaged_stage(const fs::path& stage, std::string what) {
  return fail(errc::corrupt_database,
              "the staged pull " + stage.string() + " is incomplete or damaged; delete it and sync again",
              std::move(what));
}

}  // namespace

// ---- unique_fd --------------------------------------------------------------------

unique_fd& unique_fd::operator=(unique_fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}
unique_fd::~unique_fd() {
  if (fd_ >= 0) ::close(fd_);
}
int unique_fd::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

// ---- header check -------------------------------------------------------------------

result<void> check_database_header(std::span<const std::uint8_t> header) {
  static constexpr char magic[] = "SQLite format 3";  // 16 bytes with its NUL
  if (header.size() < sqlite_header_bytes || std::memcmp(header.data(), magic, sizeof magic) != 0) {
    return fail(errc::protocol_error,
                "the Turso server's page 1 is not a SQLite database header; the server database must be "
                "created and written by tursodb in WAL mode");
  }
  const unsigned page_bytes = (unsigned{header[16]} << 8) | header[17];
  if (page_bytes != page_size) {
    return fail(errc::protocol_error, "the Turso server's database does not use 4096-byte pages",
                "page size " + std::to_string(page_bytes));
  }
  if (header[18] == 0xff || header[19] == 0xff) {
    return fail(errc::unsupported,
                "the Turso server's database is in MVCC mode, which stock SQLite cannot read; run the server "
                "database in WAL mode");
  }
  if (header[18] < 1 || header[18] > 2 || header[19] < 1 || header[19] > 2) {
    return fail(errc::protocol_error, "the Turso server's database header has unknown file format versions");
  }
  return {};
}

namespace {

std::uint32_t big_endian_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// The page count in the header is meaningful when it is non-zero and the change
// counter (offset 24) equals "version-valid-for" (offset 92); then it must agree
// with the size the server reported.
result<void> check_header_size(std::span<const std::uint8_t> header, std::uint64_t db_size) {
  const std::uint32_t pages = big_endian_u32(header.data() + 28);
  const bool valid = pages != 0 && big_endian_u32(header.data() + 24) == big_endian_u32(header.data() + 92);
  if (valid && pages != db_size) {
    return fail(errc::protocol_error,
                "the Turso server's pages describe a database of " + std::to_string(pages) +
                    " pages but it reported " + std::to_string(db_size) + "; sync again, and re-bootstrap if it persists");
  }
  return {};
}

}  // namespace

// ---- bootstrap_file -----------------------------------------------------------------

// A roaring bitmap, so that a server claiming huge page ids costs memory only for
// the pages it actually sent.
struct bootstrap_file::page_set {
  roaring_bitmap_t* bitmap;
};
void bootstrap_file::page_set_deleter::operator()(page_set* set) const noexcept {
  roaring_bitmap_free(set->bitmap);
  delete set;
}

bootstrap_file::bootstrap_file(fs::path target, fs::path temp, unique_fd fd)
    : target_(std::move(target)), temp_(std::move(temp)), fd_(std::move(fd)) {
  roaring_bitmap_t* bitmap = roaring_bitmap_create();
  if (!bitmap) throw std::bad_alloc();
  written_.reset(new page_set{bitmap});
}

result<bootstrap_file> bootstrap_file::create(fs::path target) {
  fs::path temp = target;
  temp += ".bootstrap";
  unique_fd fd(::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return io_failure("cannot create", temp);
  return bootstrap_file(std::move(target), std::move(temp), std::move(fd));
}

bootstrap_file::bootstrap_file(bootstrap_file&& other) noexcept
    : target_(std::move(other.target_)),
      temp_(std::move(other.temp_)),
      fd_(std::move(other.fd_)),
      written_(std::move(other.written_)),
      committed_(std::exchange(other.committed_, true)) {}

bootstrap_file::~bootstrap_file() {
  if (!committed_ && !temp_.empty()) {
    fd_ = unique_fd();
    std::error_code ignored;
    fs::remove(temp_, ignored);
  }
}

result<void> bootstrap_file::write_page(std::uint64_t page_id, page_span page) {
  if (page_id > max_page_id) return fail(errc::protocol_error, "a page id is larger than SQLite allows");
  auto written = pwrite_all(fd_.get(), page.data(), page.size(), page_id * page_size, temp_);
  if (!written) return written;
  roaring_bitmap_add(written_->bitmap, static_cast<std::uint32_t>(page_id));
  return {};
}

result<void> bootstrap_file::commit(std::uint64_t db_size) {
  if (committed_) return fail(errc::internal, "bootstrap_file::commit called twice");
  if (db_size == 0) {
    return fail(errc::protocol_error,
                "the Turso server has no database pages to bootstrap from; a server started on an existing "
                "SQLite file cannot seed replicas: create the database through tursodb");
  }
  const std::uint64_t present = roaring_bitmap_range_cardinality(written_->bitmap, 0, db_size);
  if (present != db_size) {
    std::uint64_t missing = 0;
    while (missing < db_size && roaring_bitmap_contains(written_->bitmap, static_cast<std::uint32_t>(missing))) {
      ++missing;
    }
    return fail(errc::protocol_error,
                "the Turso server sent " + std::to_string(present) + " of the " + std::to_string(db_size) +
                    " pages of its database (page " + std::to_string(missing + 1) +
                    " is missing); the database was probably not created by tursodb: pages outside its WAL "
                    "are never sent");
  }
  std::array<std::uint8_t, sqlite_header_bytes> header{};
  auto read = pread_all(fd_.get(), header.data(), header.size(), 0, temp_);
  if (!read) return fail(std::move(read).err());
  auto valid = check_database_header(header);
  if (!valid) return valid;
  valid = check_header_size(header, db_size);
  if (!valid) return valid;
  if (::ftruncate(fd_.get(), static_cast<off_t>(db_size * page_size)) != 0) return io_failure("cannot resize", temp_);
  auto synced = sync_fd(fd_.get(), temp_);
  if (!synced) return synced;
  fd_ = unique_fd();
  std::error_code ec;
  fs::rename(temp_, target_, ec);
  if (ec) return fail(errc::io_error, "cannot move the bootstrapped database into place at " + target_.string(), ec.message());
  committed_ = true;
  return sync_parent(target_);
}

// ---- page_stage ---------------------------------------------------------------------

page_stage::page_stage(fs::path path, unique_fd fd)
    : path_(std::move(path)), fd_(std::move(fd)), checksum_(fnv_offset) {}

result<page_stage> page_stage::create(fs::path path) {
  unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return io_failure("cannot create", path);
  page_stage stage(std::move(path), std::move(fd));
  auto written = write_all(stage.fd_.get(), stage_magic.data(), stage_magic.size(), stage.path_);
  if (!written) return fail(written.err());
  stage.checksum_ = fnv1a(stage.checksum_, reinterpret_cast<const std::uint8_t*>(stage_magic.data()), stage_magic.size());
  return stage;
}

result<void> page_stage::add(std::uint64_t page_id, page_span page) {
  if (sealed_) return fail(errc::internal, "page_stage::add after seal");
  std::array<std::uint8_t, record_bytes> record;
  put_u64(record.data(), page_id);
  std::memcpy(record.data() + 8, page.data(), page_size);
  auto written = write_all(fd_.get(), record.data(), record.size(), path_);
  if (!written) return written;
  checksum_ = fnv1a(checksum_, record.data(), record.size());
  ++pages_;
  return {};
}

result<void> page_stage::seal(const std::string& server_revision, std::uint64_t db_size) {
  if (sealed_) return fail(errc::internal, "page_stage::seal called twice");
  if (server_revision.size() > max_revision_bytes) return fail(errc::protocol_error, "the server revision is too long");
  std::vector<std::uint8_t> trailer(server_revision.begin(), server_revision.end());
  const std::size_t base = trailer.size();
  trailer.resize(base + trailer_fixed_bytes);
  const auto rev_len = static_cast<std::uint32_t>(server_revision.size());
  for (int i = 0; i < 4; ++i) trailer[base + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(rev_len >> (8 * i));
  put_u64(trailer.data() + base + 4, db_size);
  put_u64(trailer.data() + base + 12, pages_);
  const std::uint64_t sum = fnv1a(checksum_, trailer.data(), base + 20);
  put_u64(trailer.data() + base + 20, sum);
  std::memcpy(trailer.data() + base + 28, seal_magic.data(), seal_magic.size());
  // Pages first, then the seal: a crash in between leaves a file without a seal.
  auto synced = sync_fd(fd_.get(), path_);
  if (!synced) return synced;
  auto written = write_all(fd_.get(), trailer.data(), trailer.size(), path_);
  if (!written) return written;
  synced = sync_fd(fd_.get(), path_);
  if (!synced) return synced;
  sealed_ = true;
  fd_ = unique_fd();
  return sync_parent(path_);
}

result<stage_info> read_page_stage(const fs::path& stage) {
  unique_fd fd(::open(stage.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return io_failure("cannot open", stage);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_failure("cannot inspect", stage);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < stage_magic.size() + trailer_fixed_bytes) return damaged_stage(stage, "too short");

  std::array<std::uint8_t, trailer_fixed_bytes> tail{};
  auto got = pread_all(fd.get(), tail.data(), tail.size(), size - tail.size(), stage);
  if (!got) return fail(std::move(got).err());
  if (std::memcmp(tail.data() + 28, seal_magic.data(), seal_magic.size()) != 0) return damaged_stage(stage, "no seal");
  const std::uint32_t rev_len = std::uint32_t{tail[0]} | (std::uint32_t{tail[1]} << 8) |
                                (std::uint32_t{tail[2]} << 16) | (std::uint32_t{tail[3]} << 24);
  stage_info info;
  info.db_size = get_u64(tail.data() + 4);
  info.pages = get_u64(tail.data() + 12);
  const std::uint64_t expected_sum = get_u64(tail.data() + 20);
  if (rev_len > max_revision_bytes || info.pages > (size / record_bytes)) return damaged_stage(stage, "bad counts");
  if (stage_magic.size() + info.pages * record_bytes + rev_len + trailer_fixed_bytes != size) {
    return damaged_stage(stage, "size does not match the counts");
  }

  // Checksum everything before the checksum field.
  const std::uint64_t summed_bytes = size - 16;
  std::vector<std::uint8_t> buffer(std::size_t{1} << 20);
  std::uint64_t sum = fnv_offset;
  for (std::uint64_t at = 0; at < summed_bytes;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), summed_bytes - at));
    auto chunk = pread_all(fd.get(), buffer.data(), n, at, stage);
    if (!chunk) return fail(std::move(chunk).err());
    if (!*chunk) return damaged_stage(stage, "shorter than it says");
    if (at == 0 && std::memcmp(buffer.data(), stage_magic.data(), stage_magic.size()) != 0) {
      return damaged_stage(stage, "not a stage file");
    }
    sum = fnv1a(sum, buffer.data(), n);
    at += n;
  }
  if (sum != expected_sum) return damaged_stage(stage, "checksum mismatch");
  const std::uint64_t rev_at = stage_magic.size() + info.pages * record_bytes;
  info.server_revision.resize(rev_len);
  auto rev = pread_all(fd.get(), info.server_revision.data(), rev_len, rev_at, stage);
  if (!rev) return fail(std::move(rev).err());
  return info;
}

result<stage_info> apply_page_stage(const fs::path& stage, const fs::path& database) {
  auto info = read_page_stage(stage);
  if (!info) return info;
  if (info->db_size == 0) {
    if (info->pages == 0) return info;  // nothing changed on the server
    return fail(errc::protocol_error, "the Turso server sent pages but reported an empty database");
  }
  unique_fd in(::open(stage.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return io_failure("cannot open", stage);
  unique_fd out(::open(database.c_str(), O_RDWR | O_CLOEXEC));
  if (!out) return io_failure("cannot open", database);
  std::array<std::uint8_t, record_bytes> record{};
  for (std::uint64_t i = 0; i < info->pages; ++i) {
    auto got = pread_all(in.get(), record.data(), record.size(), stage_magic.size() + i * record_bytes, stage);
    if (!got) return fail(std::move(got).err());
    if (!*got) return damaged_stage(stage, "shorter than it says");
    const std::uint64_t id = get_u64(record.data());
    if (id > max_page_id) return damaged_stage(stage, "page id out of range");
    // Pages past the new end belonged to a database that has since shrunk.
    if (id >= info->db_size) continue;
    auto written = pwrite_all(out.get(), record.data() + 8, page_size, id * page_size, database);
    if (!written) return fail(std::move(written).err());
  }
  if (::ftruncate(out.get(), static_cast<off_t>(info->db_size * page_size)) != 0) {
    return io_failure("cannot resize", database);
  }
  auto synced = sync_fd(out.get(), database);
  if (!synced) return fail(std::move(synced).err());
  std::array<std::uint8_t, sqlite_header_bytes> header{};
  auto got = pread_all(out.get(), header.data(), header.size(), 0, database);
  if (!got) return fail(std::move(got).err());
  auto valid = check_database_header(header);
  if (!valid) return fail(valid.err());
  valid = check_header_size(header, info->db_size);
  if (!valid) return fail(valid.err());
  return info;
}

}  // namespace patina::db::turso::sync
