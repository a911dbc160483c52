# Every dependency comes from Debian 12 (apt) or from the npm tarballs that
# scripts/setup unpacks into PATINA_DEPS_DIR. Nothing is downloaded here.
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(fmt REQUIRED CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)

if(PATINA_BACKEND_TURSO)
  # Only the Turso build uses Boost (Asio coroutines, Beast, JSON, URL) and OpenSSL.
  find_package(Boost 1.81 EXACT REQUIRED COMPONENTS json url)
  find_package(OpenSSL REQUIRED)
endif()

if(PATINA_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
endif()
if(PATINA_BUILD_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()

# Location of sqlite-vec's loadable extension, recorded at build time (SQLite build,
# and the Turso build's `patina migrate`). PATINA_SQLITE_VEC overrides it at run time.
set(PATINA_SQLITE_VEC_PATH "${PATINA_DEPS_DIR}/sqlite-vec/vec0.so")
