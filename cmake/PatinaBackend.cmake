# Validates PATINA_BACKEND: exactly one of "turso" or "sqlite".
set(_patina_backends turso sqlite)
list(LENGTH PATINA_BACKEND _patina_backend_count)
if(_patina_backend_count GREATER 1 OR PATINA_BACKEND MATCHES "[,;+ ]" OR PATINA_BACKEND STREQUAL "both")
  message(FATAL_ERROR
    "PATINA_BACKEND='${PATINA_BACKEND}' asks for more than one backend; exactly one is built.\n"
    "Pick one: -DPATINA_BACKEND=turso (default: async, sync with a Turso server) "
    "or -DPATINA_BACKEND=sqlite (sync, local only), or use a preset: cmake --preset turso|sqlite")
endif()
if(NOT PATINA_BACKEND IN_LIST _patina_backends)
  message(FATAL_ERROR
    "PATINA_BACKEND='${PATINA_BACKEND}' is not a backend.\n"
    "Pick one: -DPATINA_BACKEND=turso (default) or -DPATINA_BACKEND=sqlite, "
    "or use a preset: cmake --preset turso|sqlite")
endif()
if(PATINA_BACKEND STREQUAL "turso")
  set(PATINA_BACKEND_TURSO ON)
  set(PATINA_BACKEND_SQLITE OFF)
else()
  set(PATINA_BACKEND_TURSO OFF)
  set(PATINA_BACKEND_SQLITE ON)
endif()
message(STATUS "Patina backend: ${PATINA_BACKEND}")
