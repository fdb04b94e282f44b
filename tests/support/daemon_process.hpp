// golem-proxyd as a child process whose stdout a test reads line by line.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace testing {

class DaemonProcess {
public:
  /// Starts args[0] with args; stdout comes to us, stderr stays the test's.
  explicit DaemonProcess(const std::vector<std::string>& args);
  /// Kills the process if it still runs.
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  /// Reads stdout until a line starting with `prefix`; returns it ("" at EOF).
  std::string wait_for_line(const std::string& prefix);
  /// Sends `signal` and returns the wait status.
  int stop(int signal);
  /// Waits for the process to exit by itself; returns the wait status.
  int wait();
  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
};

class Netns;

/// How spawn() starts a process.
struct SpawnOptions {
  /// NAME=VALUE entries added to the environment. The test's own YAGNA_*, GSB_*, YA_* and
  /// CENTRAL_NET_* variables are not passed on: they would steer Golem software elsewhere.
  std::vector<std::string> environment;
  /// stdout and stderr are appended here; stdin is /dev/null.
  std::string log_path;
  /// Run the process in this network namespace (setns() between fork and exec).
  const Netns* netns = nullptr;
  /// A process group of its own (setpgid), so that its children can be signalled with it.
  bool own_process_group = false;
};

/// Starts args[0] with `args`; returns once it runs the new program (throws if the namespace or
/// exec failed). The child is killed when the thread that called spawn() ends, so a test
/// that crashes leaves nothing behind; call it from the test's main thread.
pid_t spawn(const std::vector<std::string>& args, const SpawnOptions& options);

/// What a shell command printed on stdout, and its exit status (-1 if it did not exit).
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
/// Runs `command` with /bin/sh and waits for it.
CommandResult run_command(const std::string& command);

/// The management API's port from golem-proxyd's "api http://HOST:PORT" line; 0 if none.
int api_port(DaemonProcess& daemon);

}  // namespace testing
