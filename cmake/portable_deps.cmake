# The libraries flareq links, chosen so that the binary needs nothing beyond glibc: it runs on
# a Linux machine with none of the build's -dev packages (the npm platform packages, the .deb).
#
# - cpp-httplib: Debian's source package of libcpp-httplib-dev's version, unpacked by
#   scripts/setup into .deps/cpp-httplib, compiled here without TLS or compression (Debian's
#   compiled library drags OpenSSL, zlib and brotli in; a loopback emulator uses none of them).
#   CPPHTTPLIB_USE_POLL as Debian builds it: select() cannot watch descriptors past 1024.
# - toml++: header-only (Debian also ships a shared library, which would be one more to carry).
# - SQLite: Debian's static libsqlite3.a (SQLiteCpp's own library is static already).
# - libstdc++: linked statically. libgcc_s (the unwinder) stays the system's: it is part of
#   every glibc distribution's base, and GCC 12's static copy would need glibc 2.35's
#   _dl_find_object. (flareq takes randomness from getrandom, not std::random_device, whose
#   static copy would need glibc 2.36's arc4random.)
set(FLAREQ_HTTPLIB_DIR ${CMAKE_SOURCE_DIR}/.deps/cpp-httplib CACHE PATH "cpp-httplib's split source (scripts/setup makes it)")
if(NOT EXISTS ${FLAREQ_HTTPLIB_DIR}/httplib.cc)
  message(FATAL_ERROR "${FLAREQ_HTTPLIB_DIR}/httplib.cc is missing: run scripts/setup, which unpacks Debian's cpp-httplib source there")
endif()
add_library(flareq_httplib STATIC ${FLAREQ_HTTPLIB_DIR}/httplib.cc)
target_include_directories(flareq_httplib SYSTEM BEFORE PUBLIC ${FLAREQ_HTTPLIB_DIR})
target_compile_definitions(flareq_httplib PUBLIC CPPHTTPLIB_USE_POLL)
target_compile_options(flareq_httplib PRIVATE -w)
target_link_libraries(flareq_httplib PUBLIC Threads::Threads)

find_path(FLAREQ_TOML_INCLUDE toml++/toml.h REQUIRED)
add_library(flareq_toml INTERFACE)
target_include_directories(flareq_toml SYSTEM INTERFACE ${FLAREQ_TOML_INCLUDE})
target_compile_definitions(flareq_toml INTERFACE TOML_HEADER_ONLY=1)

find_library(FLAREQ_SQLITE3_STATIC NAMES libsqlite3.a REQUIRED)
set_target_properties(SQLite::SQLite3 PROPERTIES IMPORTED_LOCATION ${FLAREQ_SQLITE3_STATIC})
set_property(TARGET SQLite::SQLite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES m ${CMAKE_DL_LIBS} Threads::Threads)

if(NOT FLAREQ_ASAN AND NOT FLAREQ_TSAN AND NOT FLAREQ_FUZZ)
  add_link_options(-static-libstdc++)
endif()
