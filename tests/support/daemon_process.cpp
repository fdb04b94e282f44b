#include "daemon_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace testing {

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
