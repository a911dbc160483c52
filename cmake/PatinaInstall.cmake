# Installation: public headers, the static libraries a consumer links, the `patina`
# command, the run-time assets, and a CMake package so that another project can
#   find_package(patina REQUIRED)
#   target_link_libraries(app PRIVATE patina::patina)
#
# Layout under the prefix (GNUInstallDirs):
#   include/patina/...                      public headers (detail/ folders included:
#                                           the domain templates use them)
#   include/patina/build_config.hpp         generated: backend, version, asset folders
#   lib/libpatina_*.a                       the layers (+ tree-sitter runtime and grammars,
#                                           + the Turso sync library in the Turso build)
#   lib/cmake/patina/                       patinaConfig.cmake, patinaConfigVersion.cmake,
#                                           patinaTargets*.cmake (namespace patina::)
#   bin/patina                              the command-line tool
#   share/patina/sqlite-vec/vec0.so         sqlite-vec (SQLite build; Turso build's migrate)
#   share/patina/model-embeddings-en/dist/  USE-lite model (PATINA_INSTALL_MODEL)
# share/patina is place 4 of the asset lookup (patina/core/assets.hpp), recorded in
# build_config.hpp as PATINA_INSTALL_DATADIR = <CMAKE_INSTALL_PREFIX at configure
# time>/share/patina. tursodb (tests and development only) is not installed.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

option(PATINA_INSTALL_MODEL "Install the USE-lite model files (28 MB) under share/patina" ON)

set(PATINA_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/patina" CACHE STRING
  "Where the CMake package (patinaConfig.cmake) is installed, relative to the prefix")

# The umbrella target carries what a consumer needs besides the libraries: C++20
# and the backend macro (also defined by patina/build_config.hpp, identically).
if(PATINA_BACKEND_TURSO)
  target_compile_definitions(patina INTERFACE PATINA_BACKEND_TURSO=1)
else()
  target_compile_definitions(patina INTERFACE PATINA_BACKEND_SQLITE=1)
endif()
target_compile_features(patina INTERFACE cxx_std_20)

# Installed names: patina::core, patina::db, ... (in the build tree they are patina_core, ...).
set(_patina_export_targets
  patina patina_domain patina_scrape patina_embed patina_db patina_db_common patina_core
  patina_ts_runtime patina_ts_grammars)
if(PATINA_BACKEND_TURSO)
  list(APPEND _patina_export_targets patina_turso_sync)
endif()
foreach(t IN LISTS _patina_export_targets)
  string(REGEX REPLACE "^patina_" "" _name "${t}")
  set_target_properties(${t} PROPERTIES EXPORT_NAME "${_name}")
endforeach()

install(TARGETS ${_patina_export_targets}
  EXPORT patinaTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT development
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT development
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS patina_cli RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime)

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/patina"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT development
  FILES_MATCHING PATTERN "*.hpp")
install(FILES "${PROJECT_BINARY_DIR}/generated/include/patina/build_config.hpp"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/patina" COMPONENT development)

install(EXPORT patinaTargets
  NAMESPACE patina::
  DESTINATION "${PATINA_INSTALL_CMAKEDIR}"
  COMPONENT development)

set(PATINA_INSTALL_DATADIR_REL "${CMAKE_INSTALL_DATADIR}/patina")
configure_package_config_file(cmake/patinaConfig.cmake.in
  "${PROJECT_BINARY_DIR}/generated/cmake/patinaConfig.cmake"
  INSTALL_DESTINATION "${PATINA_INSTALL_CMAKEDIR}"
  PATH_VARS PATINA_INSTALL_DATADIR_REL)
# 0.x: a minor version may break the API, so only the same major.minor matches.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/generated/cmake/patinaConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/generated/cmake/patinaConfig.cmake"
  "${PROJECT_BINARY_DIR}/generated/cmake/patinaConfigVersion.cmake"
  DESTINATION "${PATINA_INSTALL_CMAKEDIR}" COMPONENT development)

# Run-time assets, from the npm packages scripts/setup unpacked. A missing file is not
# a configure error (the build itself does not need them); the install then simply
# lacks it and the asset lookup falls back to the deps/ folder or the environment.
if(EXISTS "${PATINA_SQLITE_VEC_PATH}")
  install(FILES "${PATINA_SQLITE_VEC_PATH}"
    DESTINATION "${PATINA_INSTALL_DATADIR_REL}/sqlite-vec" COMPONENT runtime)
elseif(PATINA_BACKEND_SQLITE)
  message(WARNING "sqlite-vec is missing (${PATINA_SQLITE_VEC_PATH}); `cmake --install` will not "
    "install it and the installed SQLite build needs PATINA_SQLITE_VEC. Run scripts/setup.")
endif()
set(_patina_model_dir "${PATINA_DEPS_DIR}/model-embeddings-en/dist")
if(PATINA_INSTALL_MODEL)
  if(EXISTS "${_patina_model_dir}/model.json")
    install(DIRECTORY "${_patina_model_dir}/"
      DESTINATION "${PATINA_INSTALL_DATADIR_REL}/model-embeddings-en/dist" COMPONENT runtime
      FILES_MATCHING PATTERN "model.json" PATTERN "vocab.json" PATTERN "group*-shard*")
  else()
    message(WARNING "The USE-lite model is missing (${_patina_model_dir}); `cmake --install` will "
      "not install it. Run scripts/setup, or -DPATINA_INSTALL_MODEL=OFF to silence this.")
  endif()
endif()
