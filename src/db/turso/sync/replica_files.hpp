// db/turso/sync/replica_files.hpp — the files an embedded replica keeps beside its
// database, and the small durable records it writes there.
//
// For a replica at `patina.db`:
//   patina.db          the server image at the synced revision, byte for byte
//   patina.db-wal/-shm every local write since (never checkpointed)
//   patina.db.sync     metadata (JSON, replaced atomically): client id, server URL,
//                      synced revision, pull generation, the phase of a pull in
//                      progress and the fingerprint of the base file
//   patina.db.pull     a sealed stage of pulled pages (page_file.hpp)
//   patina.db.pending  the unpushed local changes, saved before the WAL is dropped
//   patina.db.lock     the inter-process lock (flock): shared while a process has
//                      the replica open, exclusive while pages are applied
//
// Every record is written to a temporary file, fsynced, renamed into place and the
// folder fsynced, so a crash leaves either the old or the new record.
//
// Errors: io_error (the filesystem refused), corrupt_database (a record that does
// not parse or fails its checksum), busy (the lock is held elsewhere).
//
// Thread safety: free functions over paths; a replica_lock is used by one thread at
// a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/turso/sync/change_log.hpp"
#include "db/turso/sync/page_file.hpp"
#include "patina/core/result.hpp"

namespace patina::db::turso::sync {

struct replica_paths {
  explicit replica_paths(const std::filesystem::path& db);
  std::filesystem::path database;
  std::filesystem::path wal;
  std::filesystem::path shm;
  std::filesystem::path metadata;
  std::filesystem::path stage;
  std::filesystem::path pending;
  std::filesystem::path lock;
  std::filesystem::path bootstrap;  // bootstrap_file's temporary
};

// Where a pull stands; each phase is recorded before the step it guards.
enum class replica_phase {
  bootstrapping,  // the first pull has not finished: the database file is not usable
  idle,           // the database is the base plus the WAL; nothing in progress
  applying,       // pending changes saved; the WAL may be gone, pages partly written
  replaying,      // the database is the new base; pending changes not yet replayed
};

// Identifies the base file's content. The hash (XXH3-128 of the whole file, hex) is
// the proof; size and modification time are a cheap first look.
struct base_fingerprint {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string hash;
};

struct replica_metadata {
  std::string client_id;        // "patina-<uuid4>", this replica's row in turso_sync_last_change_id
  std::string server;           // the server URL (URLs with credentials are refused earlier)
  std::string synced_revision;  // the server revision the base equals
  std::int64_t pull_gen = 0;    // pulls applied so far; change ids restart with each
  replica_phase phase = replica_phase::idle;
  base_fingerprint base;
};

// nullopt if the file does not exist. Errors: io_error, corrupt_database.
result<std::optional<replica_metadata>> read_metadata(const std::filesystem::path& file);
result<void> write_metadata(const std::filesystem::path& file, const replica_metadata& metadata);

// Size, modification time and hash of `file`.
result<base_fingerprint> fingerprint_file(const std::filesystem::path& file);
// True if size and modification time still match `recorded` (no hash computed).
result<bool> looks_unchanged(const std::filesystem::path& file, const base_fingerprint& recorded);

// "patina-" and a random UUID (version 4).
std::string new_client_id();

// Removes `file` if it exists. Errors: io_error.
result<void> remove_file(const std::filesystem::path& file);

// The pending changes file: written durably, read back whole; a torn or damaged file
// is corrupt_database.
result<void> write_pending(const std::filesystem::path& file, std::span<const row_statement> changes);
result<std::vector<row_statement>> read_pending(const std::filesystem::path& file);

// Writes `text` to `file` atomically and durably.
result<void> write_file_durably(const std::filesystem::path& file, std::string_view text);

// The inter-process lock of one replica (flock on patina.db.lock). Created holding
// a shared lock; released when destroyed.
class replica_lock {
 public:
  // Waits up to `timeout` for the shared lock. Errors: busy, io_error.
  static result<replica_lock> acquire_shared(const std::filesystem::path& file, std::chrono::milliseconds timeout);

  // Turns the shared lock into an exclusive one if no other process holds the
  // replica open. busy (still holding the shared lock) if one does.
  result<void> make_exclusive();
  // Back to shared. Errors: io_error.
  result<void> make_shared();

 private:
  explicit replica_lock(unique_fd fd, std::filesystem::path file) : fd_(std::move(fd)), file_(std::move(file)) {}
  unique_fd fd_;
  std::filesystem::path file_;
};

}  // namespace patina::db::turso::sync
