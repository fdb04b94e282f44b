// The attacks of tests/integration/attack_test.cpp as a load for tests/bench/attack.sh, for a
// bounded time:
//
//   attack_flood HOSTILE_NETNS DEVICE GATEWAY_PORT SERVICE_PORT SOURCE CAP SECONDS
//                FRAMES_PER_S CONNECTS_PER_S
//
//   SOURCE ──CAP connections held──► 127.0.0.1:GATEWAY_PORT ──► proxy ──► hostile node's
//          ──new connections, paced─►   (refused: cap)                    SERVICE_PORT
//   hostile node (AF_PACKET on DEVICE in HOSTILE_NETNS) ──1-byte out-of-order segments on
//          each held connection, and malformed frames, paced──► proxy
//
// Run in the namespace where the gateway listens. It opens CAP connections from SOURCE (an
// address of that namespace, 127.0.0.3 say), sends a byte on each and learns the proxy's side
// of each connection from the segments the hostile node sees; prints "flooding N"; then for
// SECONDS (at most 600), or until SIGTERM or SIGINT, one thread connects again and again from
// SOURCE (each reset once the proxy refused it, or after 100 ms) and another sends frames
// towards the proxy; then prints what it did and exits, which closes the held connections. A rate
// of 0 turns that flood off.
#include "../support/raw_frames.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using testing::SeenSegment;

volatile std::sig_atomic_t stopping = 0;

sockaddr_in ipv4(const char* host, unsigned short port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1)
    throw std::invalid_argument(std::string("not an IPv4 address: ") + host);
  return address;
}

// A connection from `source` to `gateway`, or -1; a connect that takes over a second fails.
int connect_from(const sockaddr_in& source, const sockaddr_in& gateway) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const timeval patience{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &patience, sizeof patience);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0 ||
      ::connect(fd, reinterpret_cast<const sockaddr*>(&gateway), sizeof gateway) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Closes with a reset, so that the source's ports do not wait in TIME_WAIT.
void reset(int fd) {
  const linger abort{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd);
}

// Paces a loop at `per_second` events: wait() before each event sleeps while it is ahead.
class Pacer {
public:
  explicit Pacer(double per_second) : per_second_(per_second) {}
  void wait() {
    for (;;) {
      const double due = std::chrono::duration<double>(Clock::now() - start_).count() * per_second_;
      if (double(done_) < due || stopping) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ++done_;
  }

private:
  double per_second_;
  Clock::time_point start_ = Clock::now();
  std::uint64_t done_ = 0;
};

// The reply a hostile node would send on the connection `seen` went out on.
SeenSegment reply_to(const SeenSegment& seen) {
  SeenSegment reply;
  reply.source_mac = seen.destination_mac;
  reply.destination_mac = seen.source_mac;
  reply.source = seen.destination;
  reply.destination = seen.source;
  reply.source_port = seen.destination_port;
  reply.destination_port = seen.source_port;
  reply.ack = seen.seq + 1;
  reply.flags = 0x10;  // ACK
  return reply;
}

int run(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr,
                 "usage: %s HOSTILE_NETNS DEVICE GATEWAY_PORT SERVICE_PORT SOURCE CAP SECONDS "
                 "FRAMES_PER_S CONNECTS_PER_S\n",
                 argv[0]);
    return 2;
  }
  const std::string netns = argv[1], device = argv[2];
  const auto gateway = ipv4("127.0.0.1", static_cast<unsigned short>(std::atoi(argv[3])));
  const auto service_port = static_cast<std::uint16_t>(std::atoi(argv[4]));
  const auto source = ipv4(argv[5], 0);
  const int cap = std::atoi(argv[6]);
  const double seconds = std::atof(argv[7]), frame_rate = std::atof(argv[8]),
               connect_rate = std::atof(argv[9]);
  if (cap < 1 || cap > 100'000 || !(seconds > 0 && seconds <= 600) || frame_rate < 0 ||
      connect_rate < 0)
    throw std::invalid_argument("CAP 1..100000, SECONDS 0..600, rates >= 0");
  std::signal(SIGINT, [](int) { stopping = 1; });
  std::signal(SIGTERM, [](int) { stopping = 1; });

  // The hostile node's raw link, opened from a thread that entered its namespace.
  std::unique_ptr<testing::RawLink> link;
  std::exception_ptr failure;
  std::thread([&] {
    try {
      const int ns = ::open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || setns(ns, CLONE_NEWNET) != 0)
        throw std::system_error(errno, std::system_category(), "setns " + netns);
      ::close(ns);
      link = std::make_unique<testing::RawLink>(device);
    } catch (...) {
      failure = std::current_exception();
    }
  }).join();
  if (failure) std::rethrow_exception(failure);

  // Hold the source's whole allowance; each held connection's byte shows the hostile node the
  // proxy's side of it (the test does the same).
  std::vector<int> held;
  for (int i = 0; i < cap; ++i) {
    const int fd = connect_from(source, gateway);
    if (fd < 0) throw std::system_error(errno, std::system_category(), "a held connection");
    held.push_back(fd);
  }
  for (const int fd : held) ::send(fd, "x", 1, MSG_NOSIGNAL);
  std::map<std::uint16_t, SeenSegment> towards_service;  // by the proxy's port
  const auto learn_deadline = Clock::now() + std::chrono::seconds(20);
  while (int(towards_service.size()) < cap && Clock::now() < learn_deadline && !stopping) {
    const auto segment = link->next_tcp(1000);
    if (segment && segment->destination_port == service_port && (segment->flags & 0x08))
      towards_service[segment->source_port] = *segment;  // PSH: our byte
  }
  // Fewer than the cap when the previous phase's connections still held slots of this source
  // (the proxy refused the rest, as it should): flood those learned.
  if (towards_service.empty()) {
    std::fprintf(stderr, "learned none of %d connections\n", cap);
    return 1;
  }
  if (int(towards_service.size()) < cap)
    std::fprintf(stderr, "learned %zu of %d connections\n", towards_service.size(), cap);
  std::printf("flooding %zu\n", towards_service.size());
  std::fflush(stdout);

  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  const auto over = [&] { return stopping || Clock::now() >= deadline; };
  std::atomic<std::uint64_t> connects{0}, refused{0}, frames{0}, frames_refused{0};
  std::thread connection_flood([&] {
    if (connect_rate == 0) return;
    Pacer pacer(connect_rate);
    // Connections in flight, waiting for the proxy's refusal (a close or a reset soon after
    // its accept); each is reset when refused, or after 100 ms without an answer.
    struct Pending {
      int fd;
      Clock::time_point since;
    };
    std::vector<Pending> pending;
    const auto settle = [&](bool all) {
      std::vector<pollfd> answers;
      for (const auto& p : pending) answers.push_back({p.fd, POLLIN, 0});
      if (!answers.empty()) ::poll(answers.data(), answers.size(), 0);
      std::vector<Pending> still;
      for (std::size_t i = 0; i < pending.size(); ++i) {
        char byte;
        if ((answers[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
            ::recv(pending[i].fd, &byte, 1, MSG_DONTWAIT) <= 0) {
          ++refused;
          reset(pending[i].fd);
        } else if (all || Clock::now() - pending[i].since > std::chrono::milliseconds(100)) {
          reset(pending[i].fd);
        } else {
          still.push_back(pending[i]);
        }
      }
      pending.swap(still);
    };
    while (!over()) {
      pacer.wait();
      settle(false);
      if (pending.size() >= 1000) continue;  // bounded: the oldest go within 100 ms
      const int fd = connect_from(source, gateway);
      if (fd < 0) continue;  // not even connected: the kernel's backlog, say
      ++connects;
      pending.push_back({fd, Clock::now()});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the last answers
    settle(true);
  });
  std::thread frame_flood([&] {
    if (frame_rate == 0) return;
    Pacer pacer(frame_rate);
    const auto malformed = testing::malformed_frames(towards_service.begin()->second);
    const std::uint8_t one_byte[1] = {'z'};
    // Each segment leaves a gap before it, so lwIP could only queue it out of order; the
    // offsets cycle over 4096 segments (8 KiB, well inside the window), more than the default
    // out-of-order bound per connection, so the bound is what holds.
    for (std::uint32_t round = 0; !over(); ++round) {
      for (const auto& [port, seen] : towards_service) {
        auto reply = reply_to(seen);
        for (std::uint32_t k = 0; k < 16 && !over(); ++k) {
          reply.seq = seen.ack + 2 + 2 * ((round * 16 + k) % 4096);
          pacer.wait();
          ++(link->send(testing::tcp_frame(reply, one_byte)) ? frames : frames_refused);
        }
      }
      for (const auto& frame : malformed) {
        if (over()) break;
        pacer.wait();
        ++(link->send(frame) ? frames : frames_refused);
      }
    }
  });
  const auto start = Clock::now();
  connection_flood.join();
  frame_flood.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "flooded %.1f s: %llu frames sent (%llu refused by the kernel), %llu connections "
      "(%llu refused by the proxy)\n",
      elapsed, static_cast<unsigned long long>(frames.load()),
      static_cast<unsigned long long>(frames_refused.load()),
      static_cast<unsigned long long>(connects.load()),
      static_cast<unsigned long long>(refused.load()));
  for (const int fd : held) ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "attack_flood: %s\n", error.what());
    return 1;
  }
}
