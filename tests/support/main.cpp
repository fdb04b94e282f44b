// Catch2 main for the test executables: raises the descriptor limit first (the load tests hold
// thousands of sockets) and ignores SIGPIPE (a reset peer must fail a write, not kill us).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>

int main(int argc, char** argv) {
  // Root may also raise the hard limit; anyone may raise the soft one to the hard one.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    rlimit wanted{1 << 18, 1 << 18};
    if (limit.rlim_max >= wanted.rlim_max || setrlimit(RLIMIT_NOFILE, &wanted) != 0) {
      limit.rlim_cur = limit.rlim_max;
      setrlimit(RLIMIT_NOFILE, &limit);
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
