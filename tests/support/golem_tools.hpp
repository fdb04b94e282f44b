// The real Golem binaries the interop tests run, as tests/interop/fetch-golem-tools.sh caches
// them (tests/run-all.sh runs it first). Each require_ function exits the test with 77 (skipped)
// and says why when its binary is missing.
//
// Golem software reaches for the Internet by itself (yagna's payment driver resolves its RPC
// hosts, a version check calls a public API), so the tests run every one of these processes in a
// network namespace that has loopback alone (golem_netns()), and check that it runs there.
#pragma once

#include "netns.hpp"

#include <memory>
#include <string>

namespace testing {

/// ya-sb-router 0.6.4: $YA_SB_ROUTER, else the cache.
std::string require_sb_router();

/// yagna 0.17.6 (PyPI golem-node): $YAGNA, else the cache.
std::string require_yagna();

/// A fresh namespace for Golem processes ("lp-golem-<pid>-<n>"), checked to reach nothing but
/// its own loopback (Netns::require_loopback_only). Exits with 77 unless the test runs as root.
std::unique_ptr<Netns> golem_netns();

}  // namespace testing
