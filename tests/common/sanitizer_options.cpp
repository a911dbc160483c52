// Sanitizer settings for the tests that load sqlite-vec (only used by ASan builds).
//
// sqlite-vec 0.1.9 leaks a few dozen bytes per metadata column each time a vec0
// table is created or connected (an sqlite3_mprintf'd name it never frees). The
// leak is bounded per connection and lives in the third-party extension, so it is
// suppressed by the SQLite frames that call into vec0. The extension is unloaded
// when its connection closes, so its own frames cannot be symbolized; the slow
// unwinder is needed to see the SQLite frames at all.
extern "C" {

// NOLINTNEXTLINE(bugprone-reserved-identifier): sanitizer runtime hook
const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }

// NOLINTNEXTLINE(bugprone-reserved-identifier): sanitizer runtime hook
const char* __lsan_default_suppressions() {
  return "leak:sqlite3VtabCallCreate\n"
         "leak:sqlite3VtabCallConnect\n";
}

}  // extern "C"
