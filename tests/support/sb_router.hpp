// A real ya-sb-router (crates.io, built by tests/interop/fetch-golem-tools.sh) as a child
// process on a unix socket in a fresh directory, for tests of the GSB transport.
#pragma once

#include "golem_tools.hpp"

#include <sys/types.h>

#include <string>
#include <vector>

namespace testing {

class SbRouter {
public:
  /// Starts the router; `extra` are more command-line options (say, shorter ping settings).
  explicit SbRouter(std::vector<std::string> extra = {});
  ~SbRouter();
  SbRouter(const SbRouter&) = delete;
  SbRouter& operator=(const SbRouter&) = delete;

  /// unix:<socket path>
  const std::string& url() const { return url_; }
  /// Kills the router (SIGKILL: its clients see the connection drop).
  void kill();
  /// Starts it again on the same socket and waits until it accepts.
  void start();
  /// The router's log so far (for failure messages).
  std::string log() const;

private:
  std::string binary_;
  std::vector<std::string> extra_;
  std::string directory_;
  std::string socket_;
  std::string url_;
  pid_t pid_ = -1;
};

}  // namespace testing
