#include "sb_router.hpp"

#include "daemon_process.hpp"
#include "golem_tools.hpp"
#include "io_thread.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace testing {
namespace {

bool accepts(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

SbRouter::SbRouter(std::vector<std::string> extra)
    : binary_(require_sb_router()), netns_(golem_netns()), extra_(std::move(extra)) {
  char pattern[] = "/tmp/lp-gsb-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  socket_ = directory_ + "/gsb.sock";
  url_ = "unix:" + socket_;
  try {
    start();
  } catch (...) {
    kill();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    throw;
  }
}

SbRouter::~SbRouter() {
  kill();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

void SbRouter::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  ::unlink(socket_.c_str());
}

void SbRouter::start() {
  if (pid_ > 0) return;
  netns_->require_loopback_only();
  std::vector<std::string> args{binary_, "-l", url_};
  args.insert(args.end(), extra_.begin(), extra_.end());
  SpawnOptions options;
  options.log_path = directory_ + "/router.log";
  options.netns = netns_.get();
  pid_ = spawn(args, options);
  if (!netns_->holds(pid_)) {
    kill();
    throw std::runtime_error("ya-sb-router is not in network namespace " + netns_->name());
  }
  if (!wait_until([&] { return accepts(socket_); }, std::chrono::seconds(30)))
    throw std::runtime_error("ya-sb-router did not accept on " + socket_ + ": " + log());
}

std::string SbRouter::log() const {
  std::ifstream in(directory_ + "/router.log");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace testing
