#include "golem_tools.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace testing {
namespace {

std::string require_tool(const char* variable, const char* cached, const char* what) {
  const char* env = std::getenv(variable);
  const std::string path = env != nullptr && *env != '\0' ? env : cached;
  if (::access(path.c_str(), X_OK) != 0) {
    std::fprintf(stderr,
                 "SKIPPED: no %s at %s; tests/interop/fetch-golem-tools.sh fetches it "
                 "(tests/run-all.sh runs it), or set %s\n",
                 what, path.c_str(), variable);
    std::exit(77);
  }
  return path;
}

}  // namespace

std::string require_sb_router() {
  return require_tool("YA_SB_ROUTER",
                      "/var/cache/golem-proxy-tools/ya-sb-router-0.6.4/bin/ya-sb-router",
                      "ya-sb-router");
}

std::string require_yagna() {
  return require_tool("YAGNA", "/var/cache/golem-proxy-tools/golem-node-0.17.6/yagna", "yagna");
}

std::unique_ptr<Netns> golem_netns() {
  require_root("running Golem software (yagna, ya-sb-router) offline");
  auto netns = std::make_unique<Netns>("golem");
  netns->require_loopback_only();
  return netns;
}

}  // namespace testing
