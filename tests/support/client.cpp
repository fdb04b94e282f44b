#include "client.hpp"

#include "data.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace testing {

Client::Client(unsigned short port, int io_timeout_s)
    : Client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port, io_timeout_s) {}

Client::Client(int socket_fd, unsigned short port, int io_timeout_s) : fd_(socket_fd) {
  if (fd_ < 0) throw std::system_error(errno, std::system_category(), "socket");
  timeval timeout{io_timeout_s, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::system_error(error, std::system_category(), "connect");
  }
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

void Client::send_all(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::system_category(), "send");
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
}

void Client::send_all(const std::string& text) {
  send_all({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::string Client::read_exact(std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const long r = read_some({reinterpret_cast<std::uint8_t*>(out.data()) + got, n - got});
    if (r <= 0)
      throw std::runtime_error("stream ended after " + std::to_string(got) + " of " +
                               std::to_string(n) + " bytes (" + std::to_string(r) + ")");
    got += static_cast<std::size_t>(r);
  }
  return out;
}

long Client::read_some(std::span<std::uint8_t> out) {
  for (;;) {
    const ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

long Client::read_to_eof(std::string* into) {
  std::uint8_t buffer[64 * 1024];
  long total = 0;
  for (;;) {
    const long n = read_some(buffer);
    if (n <= 0) return n == 0 ? total : n;
    if (into != nullptr) into->append(reinterpret_cast<char*>(buffer), static_cast<std::size_t>(n));
    total += n;
  }
}

void Client::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

void Client::reset() {
  linger option{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof option);
  ::close(fd_);
  fd_ = -1;
}

bool echo_round_trip(Client& client, std::size_t size, std::uint64_t seed) {
  std::string sent(size, '\0');
  Pattern(seed).fill({reinterpret_cast<std::uint8_t*>(sent.data()), size});
  std::thread writer([&] {
    try {
      client.send_all(sent);
      client.shutdown_send();
    } catch (const std::exception&) {
      // The reader sees the stream end early.
    }
  });
  std::string echoed;
  const long received = client.read_to_eof(&echoed);
  writer.join();
  return received == static_cast<long>(size) && echoed == sent;
}

bool can_bind_loopback(int type, unsigned short port, bool reuse_address) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int on = 1;
  if (reuse_address) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

}  // namespace testing
