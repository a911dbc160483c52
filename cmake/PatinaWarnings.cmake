# patina_target_warnings(<target>)
# Adds the project's warning set to one target. Warnings are never set globally;
# -Werror is added only when PATINA_WERROR is ON (the CI presets turn it on).
function(patina_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
      -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra>)
  # g++ 12 reports a false -Wmismatched-new-delete on Asio's coroutine frames
  # (awaitable_frame_base has its own operator new/delete pair).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND PATINA_BACKEND_TURSO)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-mismatched-new-delete>)
  endif()
  # g++ 12 at -O3 reports false -Wrestrict / -Wstringop-overflow on inlined
  # std::string and std::transform code (GCC bugs 105329, 106199); they stay
  # warnings there so a Release build with -Werror is not stopped by them.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-Wno-error=restrict -Wno-error=stringop-overflow>)
  endif()
  if(PATINA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# patina_target_sanitizers(<target>)
# ASan+UBSan when PATINA_SANITIZE is ON; applied per target so third-party static
# libraries built here (tree-sitter grammars) stay untouched.
function(patina_target_sanitizers target)
  if(PATINA_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
