// The CLI's commands are written once for both builds. In the Turso build a
// command body is a coroutine (`task<int>` = asio::awaitable<int>) and awaits the
// database; in the SQLite build it is a plain function. Domain code does NOT use
// these macros: it has real sync and async member sets (DESIGN §2). The CLI is
// thin printing code over them, where a macro is the smaller evil.
//
// g++ 12: always `auto x = PATINA_AWAIT f();` first, never inside ?: or braces.
#pragma once

#include "patina/backend.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/awaitable.hpp>
namespace patina::cli {
template <class T>
using task = boost::asio::awaitable<T>;
}
#define PATINA_AWAIT co_await
#define PATINA_RETURN co_return
#else
namespace patina::cli {
template <class T>
using task = T;
}
#define PATINA_AWAIT
#define PATINA_RETURN return
#endif
