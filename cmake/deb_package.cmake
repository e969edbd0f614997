# The .deb (`cpack -G DEB` in a build folder; scripts/package runs it): the stripped binary
# (its debug info is scripts/package's flareq-linux-x64.debug) and the Worker host's JavaScript. The Worker
# runs with the project's wrangler and the Node.js it needs, found on the PATH or FLAREQ_NODE.
set(CPACK_PACKAGE_NAME flareq)
set(CPACK_PACKAGE_VENDOR flareq)
set(CPACK_PACKAGE_CONTACT "flareq developers <flareq@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Cloudflare Queues locally: runs a Worker's fetch() and queue() with production's rules")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Cloudflare Queues on your laptop and in CI.
 flareq reads a Workers project's wrangler.jsonc, keeps every queue in one SQLite
 file, serves Cloudflare's Queues API and runs the project's Worker (fetch() and
 queue()) in workerd with production's batching, retry and dead-letter rules.
 .
 The Worker runs with the project's own wrangler (npm install -D wrangler) under
 the Node.js that wrangler needs (22.12 or later for current wranglers), taken
 from the PATH or from FLAREQ_NODE; Debian 12's nodejs is too old for them.")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nodejs")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL flareq)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/dist)
include(CPack)
