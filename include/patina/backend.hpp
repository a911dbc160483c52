/// @file
/// patina/backend.hpp — which storage backend this build of Patina has.
///
/// Exactly one backend is compiled into a build: the Turso backend (asynchronous,
/// C++20 coroutines on Boost.Asio) or the SQLite backend (synchronous, no async
/// runtime). The choice is made at configure time (`-DPATINA_BACKEND=turso|sqlite`)
/// and recorded in the generated `patina/build_config.hpp`. There is no runtime
/// dispatch between backends.
///
/// Thread safety: constants only.
#pragma once

#include "patina/build_config.hpp"

#if defined(PATINA_BACKEND_TURSO) && defined(PATINA_BACKEND_SQLITE)
#error "Patina: both PATINA_BACKEND_TURSO and PATINA_BACKEND_SQLITE are defined; a build has exactly one backend. Configure with -DPATINA_BACKEND=turso or -DPATINA_BACKEND=sqlite."
#endif
#if !defined(PATINA_BACKEND_TURSO) && !defined(PATINA_BACKEND_SQLITE)
#error "Patina: no backend is defined; configure with -DPATINA_BACKEND=turso or -DPATINA_BACKEND=sqlite."
#endif

namespace patina {

/// Patina's version, e.g. "0.1.0".
inline constexpr const char* version_string = PATINA_VERSION_STRING;

#if defined(PATINA_BACKEND_TURSO)
/// The backend of this build: "turso" or "sqlite".
inline constexpr const char* backend_name = "turso";
/// True when database operations return awaitables (the Turso build).
inline constexpr bool backend_is_async = true;
#else
/// The backend of this build: "turso" or "sqlite".
inline constexpr const char* backend_name = "sqlite";
/// True when database operations return awaitables (the Turso build).
inline constexpr bool backend_is_async = false;
#endif

}  // namespace patina
