#include "daemon_process.hpp"

#include "netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace testing {
namespace {

// Variables of ours that would steer a Golem process elsewhere (a developer's own yagna setup,
// the tool paths of tests/interop/fetch-golem-tools.sh).
bool golem_setting(const std::string& entry) {
  for (const char* prefix : {"YAGNA_", "GSB_", "YA_", "CENTRAL_NET_"})
    if (entry.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

pid_t spawn(const std::vector<std::string>& args, const SpawnOptions& options) {
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry)
    if (!golem_setting(*entry)) environment.emplace_back(*entry);
  environment.insert(environment.end(), options.environment.begin(), options.environment.end());
  // Everything the child needs is prepared before fork(): only async-signal-safe calls after.
  std::vector<char*> argv, envp;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  for (const auto& entry : environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  const int netns = options.netns != nullptr ? options.netns->open() : -1;
  const int log = ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // The child reports a failure before exec (errno, then a step number) here; exec closes it.
  int report[2] = {-1, -1};
  const bool ready = log >= 0 && null >= 0 && ::pipe2(report, O_CLOEXEC) == 0;
  const int open_error = errno;
  const auto close_all = [&] {
    for (const int fd : {netns, log, null, report[0], report[1]})
      if (fd >= 0) ::close(fd);
  };
  if (!ready) {
    close_all();
    throw std::system_error(open_error, std::system_category(), "spawn " + args[0]);
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    close_all();
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    const auto fail = [&](int step) {
      const int codes[2] = {errno, step};
      [[maybe_unused]] const auto written = ::write(report[1], codes, sizeof codes);
      ::_exit(127);
    };
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (options.own_process_group && ::setpgid(0, 0) != 0) fail(1);
    if (netns >= 0 && ::setns(netns, CLONE_NEWNET) != 0) fail(2);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    fail(3);
  }
  ::close(report[1]);
  report[1] = -1;
  int codes[2] = {0, 0};
  ssize_t n;
  while ((n = ::read(report[0], codes, sizeof codes)) < 0 && errno == EINTR) {
  }
  close_all();
  if (n > 0) {
    ::waitpid(pid, nullptr, 0);
    const std::string step = codes[1] == 1   ? "setpgid"
                             : codes[1] == 2 ? "setns into " + options.netns->name()
                                             : "execve";
    throw std::system_error(codes[0], std::system_category(), "spawn " + args[0] + ": " + step);
  }
  return pid;
}

DaemonProcess::DaemonProcess(const std::vector<std::string>& args) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Dies with the test: a test that crashed must not leave a daemon holding ctest's pipes.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_ = fdopen(out[0], "r");
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_ != nullptr) fclose(stdout_);
}

std::string DaemonProcess::wait_for_line(const std::string& prefix) {
  char line[1024];
  while (std::fgets(line, sizeof line, stdout_) != nullptr)
    if (std::string(line).rfind(prefix, 0) == 0) return line;
  return "";
}

int DaemonProcess::stop(int signal) {
  kill(pid_, signal);
  return wait();
}

int DaemonProcess::wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

CommandResult run_command(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed: " + command);
  CommandResult result;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) result.out += buffer;
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

int api_port(DaemonProcess& daemon) {
  const std::string line = daemon.wait_for_line("api http://");
  const auto colon = line.rfind(':');
  return colon == std::string::npos ? 0 : std::stoi(line.substr(colon + 1));
}

}  // namespace testing
