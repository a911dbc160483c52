#include "db/turso/sync/replica_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

namespace patina::db::turso::sync {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int metadata_format = 1;
constexpr std::string_view pending_magic = "PTNPEND1";

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

result<void> sync_folder_of(const fs::path& path) {
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return io_failure("cannot open the folder", dir);
  if (::fsync(fd.get()) != 0) return io_failure("cannot flush the folder", dir);
  return {};
}

result<std::string> read_whole(const fs::path& path) {
  unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return io_failure("cannot open", path);
  std::string out;
  std::array<char, 65536> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_failure("cannot read", path);
    if (n == 0) break;
    out.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return out;
}

std::string_view phase_name(replica_phase phase) {
  switch (phase) {
    case replica_phase::bootstrapping: return "bootstrapping";
    case replica_phase::idle: return "idle";
    case replica_phase::applying: return "applying";
    case replica_phase::replaying: return "replaying";
  }
  return "idle";
}

std::optional<replica_phase> parse_phase(std::string_view text) {
  for (auto p : {replica_phase::bootstrapping, replica_phase::idle, replica_phase::applying, replica_phase::replaying}) {
    if (phase_name(p) == text) return p;
  }
  return std::nullopt;
}

failure damaged_metadata(const fs::path& file, std::string detail) {
  return fail(errc::corrupt_database,
              "the replica's sync metadata " + file.string() +
                  " is damaged; delete the replica (the database file and every file beside it whose name starts "
                  "with it) and open it again to bootstrap a fresh copy from the server",
              std::move(detail));
}

std::string to_hex(const XXH128_hash_t& h) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint64_t part : {h.high64, h.low64}) {
    for (int shift = 60; shift >= 0; shift -= 4) out.push_back(digits[(part >> shift) & 0xf]);
  }
  return out;
}

json value_to_json(const db::value& v) {
  switch (v.index()) {
    case 1: return std::get<std::int64_t>(v);
    case 2: return std::get<double>(v);
    case 3: return std::get<std::string>(v);
    case 4: return json::binary(std::get<db::blob>(v));
    default: return nullptr;
  }
}

std::optional<db::value> json_to_value(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return db::value{};
    case json::value_t::number_integer: return db::value{j.get<std::int64_t>()};
    case json::value_t::number_unsigned: {
      const auto u = j.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
      return db::value{static_cast<std::int64_t>(u)};
    }
    case json::value_t::number_float: return db::value{j.get<double>()};
    case json::value_t::string: return db::value{j.get<std::string>()};
    case json::value_t::binary: {
      const auto& b = j.get_binary();
      return db::value{db::blob(b.begin(), b.end())};
    }
    default: return std::nullopt;
  }
}

}  // namespace

replica_paths::replica_paths(const fs::path& db) : database(db) {
  const auto with = [&](const char* suffix) {
    fs::path p = db;
    p += suffix;
    return p;
  };
  wal = with("-wal");
  shm = with("-shm");
  metadata = with(".sync");
  stage = with(".pull");
  pending = with(".pending");
  lock = with(".lock");
  bootstrap = with(".bootstrap");
}

result<void> write_file_durably(const fs::path& file, std::string_view text) {
  fs::path temp = file;
  temp += ".tmp";
  {
    unique_fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return io_failure("cannot create", temp);
    if (auto written = write_all(fd.get(), text.data(), text.size(), temp); !written) return written;
    if (::fsync(fd.get()) != 0) return io_failure("cannot flush", temp);
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) return io_failure("cannot move into place", file);
  return sync_folder_of(file);
}

result<std::optional<replica_metadata>> read_metadata(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<replica_metadata>();
  auto text = read_whole(file);
  if (!text) return fail(std::move(text).err());
  const json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return damaged_metadata(file, "not a JSON object");
  try {
    if (doc.at("format").get<int>() != metadata_format) {
      return damaged_metadata(file, "unknown format " + doc.at("format").dump());
    }
    replica_metadata m;
    m.client_id = doc.at("client_id").get<std::string>();
    m.server = doc.at("server").get<std::string>();
    m.synced_revision = doc.at("synced_revision").get<std::string>();
    m.pull_gen = doc.at("pull_gen").get<std::int64_t>();
    const auto phase = parse_phase(doc.at("phase").get<std::string>());
    if (!phase) return damaged_metadata(file, "unknown phase");
    m.phase = *phase;
    const auto& base = doc.at("base");
    m.base.size = base.at("size").get<std::uint64_t>();
    m.base.mtime_ns = base.at("mtime_ns").get<std::int64_t>();
    m.base.hash = base.at("xxh3_128").get<std::string>();
    if (m.client_id.empty()) return damaged_metadata(file, "no client id");
    return std::optional<replica_metadata>(std::move(m));
  } catch (const json::exception& e) {
    return damaged_metadata(file, e.what());
  }
}

result<void> write_metadata(const fs::path& file, const replica_metadata& m) {
  const json doc = {
      {"format", metadata_format},
      {"client_id", m.client_id},
      {"server", m.server},
      {"synced_revision", m.synced_revision},
      {"pull_gen", m.pull_gen},
      {"phase", phase_name(m.phase)},
      {"base", {{"size", m.base.size}, {"mtime_ns", m.base.mtime_ns}, {"xxh3_128", m.base.hash}}},
  };
  return write_file_durably(file, doc.dump(2) + "\n");
}

namespace {

result<base_fingerprint> stat_file(const fs::path& file, int fd) {
  struct stat st {};
  const int rc = fd >= 0 ? ::fstat(fd, &st) : ::stat(file.c_str(), &st);
  if (rc != 0) return io_failure("cannot inspect", file);
  base_fingerprint f;
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return f;
}

}  // namespace

result<base_fingerprint> fingerprint_file(const fs::path& file) {
  unique_fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return io_failure("cannot open", file);
  auto f = stat_file(file, fd.get());
  if (!f) return f;
  struct state_deleter {
    void operator()(XXH3_state_t* s) const noexcept { XXH3_freeState(s); }
  };
  std::unique_ptr<XXH3_state_t, state_deleter> state(XXH3_createState());
  if (!state) throw std::bad_alloc();
  XXH3_128bits_reset(state.get());
  std::vector<char> buffer(std::size_t{1} << 20);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_failure("cannot read", file);
    if (n == 0) break;
    XXH3_128bits_update(state.get(), buffer.data(), static_cast<std::size_t>(n));
  }
  f->hash = to_hex(XXH3_128bits_digest(state.get()));
  return f;
}

result<bool> looks_unchanged(const fs::path& file, const base_fingerprint& recorded) {
  auto now = stat_file(file, -1);
  if (!now) return fail(std::move(now).err());
  return now->size == recorded.size && now->mtime_ns == recorded.mtime_ns;
}

std::string new_client_id() {
  std::random_device device;
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    const std::uint32_t r = device();
    for (std::size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "patina-";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(digits[bytes[i] >> 4]);
    out.push_back(digits[bytes[i] & 0xf]);
  }
  return out;
}

result<void> remove_file(const fs::path& file) {
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) return io_failure("cannot delete", file);
  return {};
}

result<void> write_pending(const fs::path& file, std::span<const row_statement> changes) {
  json list = json::array();
  for (const auto& c : changes) {
    json params = json::array();
    for (const auto& v : c.statement.params) params.push_back(value_to_json(v));
    list.push_back(json::array({c.change_id, c.statement.sql, std::move(params)}));
  }
  const json doc = {{"format", 1}, {"changes", std::move(list)}};
  const std::vector<std::uint8_t> payload = json::to_cbor(doc);
  std::string bytes(pending_magic);
  const std::uint64_t sum = XXH3_64bits(payload.data(), payload.size());
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(sum >> (8 * i)));
  bytes.append(payload.begin(), payload.end());
  return write_file_durably(file, bytes);
}

result<std::vector<row_statement>> read_pending(const fs::path& file) {
  auto bytes = read_whole(file);
  if (!bytes) return fail(std::move(bytes).err());
  const auto damaged = [&](std::string what) {
    return fail(errc::corrupt_database,
                "the replica's saved local changes " + file.string() +
                    " are damaged, so they cannot be replayed; delete the replica and bootstrap it again "
                    "(changes not yet pushed are lost)",
                std::move(what));
  };
  const std::size_t head = pending_magic.size() + 8;
  if (bytes->size() < head || std::string_view(*bytes).substr(0, pending_magic.size()) != pending_magic) {
    return damaged("not a pending-changes file");
  }
  std::uint64_t sum = 0;
  for (int i = 0; i < 8; ++i) {
    sum |= std::uint64_t{static_cast<std::uint8_t>((*bytes)[pending_magic.size() + static_cast<std::size_t>(i)])}
           << (8 * i);
  }
  const auto* payload = reinterpret_cast<const std::uint8_t*>(bytes->data()) + head;
  const std::size_t payload_size = bytes->size() - head;
  if (XXH3_64bits(payload, payload_size) != sum) return damaged("checksum mismatch");
  const json doc = json::from_cbor(payload, payload + payload_size, true, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("changes") || !doc["changes"].is_array()) {
    return damaged("unexpected content");
  }
  std::vector<row_statement> out;
  for (const auto& entry : doc["changes"]) {
    if (!entry.is_array() || entry.size() != 3 || !entry[0].is_number_integer() || !entry[1].is_string() ||
        !entry[2].is_array()) {
      return damaged("unexpected entry");
    }
    row_statement r;
    r.change_id = entry[0].get<std::int64_t>();
    r.statement.sql = entry[1].get<std::string>();
    for (const auto& p : entry[2]) {
      auto v = json_to_value(p);
      if (!v) return damaged("unexpected value");
      r.statement.params.push_back(std::move(*v));
    }
    out.push_back(std::move(r));
  }
  return out;
}

result<replica_lock> replica_lock::acquire_shared(const fs::path& file, std::chrono::milliseconds timeout) {
  unique_fd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return io_failure("cannot open the lock file", file);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return replica_lock(std::move(fd), file);
    if (errno != EWOULDBLOCK && errno != EINTR) return io_failure("cannot lock", file);
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(errc::busy,
                  "another process is applying a sync to this replica and did not finish in time; retry in a moment");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

result<void> replica_lock::make_exclusive() {
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) return {};
  const int err = errno;
  // A failed conversion may have dropped the shared lock: take it back.
  if (::flock(fd_.get(), LOCK_SH) != 0) return io_failure("cannot lock", file_);
  if (err != EWOULDBLOCK) return io_failure("cannot lock", file_, err);
  return fail(errc::busy,
              "another process has this replica open (another patina command or an MCP server); pulled pages can "
              "only be applied while no other process uses the file: close it and sync again");
}

result<void> replica_lock::make_shared() {
  if (::flock(fd_.get(), LOCK_SH) != 0) return io_failure("cannot lock", file_);
  return {};
}

}  // namespace patina::db::turso::sync
