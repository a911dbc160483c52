// Compiled by CTest (tests/compile/CMakeLists.txt), never linked.
#include "patina/backend.hpp"

int patina_backend_probe() { return patina::backend_is_async ? 1 : 0; }
