// A real ya-sb-router (crates.io, built by tests/interop/fetch-golem-tools.sh) as a child
// process on a unix socket in a fresh directory, for tests of the GSB transport. It runs in a
// network namespace of its own with loopback alone (golem_netns()); the filesystem is shared
// across network namespaces, so its unix socket is reached from anywhere.
#pragma once

#include "golem_tools.hpp"

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace testing {

class SbRouter {
public:
  /// Starts the router (exits the test with 77 unless it runs as root); `extra` are more
  /// command-line options (say, shorter ping settings).
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
  /// The namespace the router runs in.
  const Netns& netns() const { return *netns_; }
  /// The router process, or -1 while killed.
  pid_t pid() const { return pid_; }

private:
  std::string binary_;
  std::unique_ptr<Netns> netns_;
  std::vector<std::string> extra_;
  std::string directory_;
  std::string socket_;
  std::string url_;
  pid_t pid_ = -1;
};

}  // namespace testing
