# `docs`: the API reference of the public headers (include/patina), built by Doxygen
# from docs/Doxyfile into <build>/docs/html. Only defined when doxygen is installed
# (scripts/setup installs it). Any warning (an undocumented public declaration, a
# broken reference) fails the target: the Doxyfile sets WARN_AS_ERROR.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  add_custom_target(docs
    COMMAND "${CMAKE_COMMAND}" -E env
      "PATINA_DOCS_OUTPUT=${PROJECT_BINARY_DIR}/docs"
      "PATINA_DOCS_VERSION=${PROJECT_VERSION} (${PATINA_BACKEND} build)"
      "${DOXYGEN_EXECUTABLE}" docs/Doxyfile
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    COMMENT "API reference: ${PROJECT_BINARY_DIR}/docs/html/index.html"
    VERBATIM)
endif()
