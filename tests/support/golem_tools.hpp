// The real Golem binaries the interop tests run, as tests/interop/fetch-golem-tools.sh caches
// them (tests/run-all.sh runs it first). Each function exits the test with 77 (skipped) and says
// why when its binary is missing.
#pragma once

#include <string>

namespace testing {

/// ya-sb-router 0.6.4: $YA_SB_ROUTER, else the cache.
std::string require_sb_router();

/// yagna 0.17.6 (PyPI golem-node): $YAGNA, else the cache.
std::string require_yagna();

}  // namespace testing
