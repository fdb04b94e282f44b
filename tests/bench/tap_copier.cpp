// The link ceiling: the least any userspace program attached to TAP devices must do, copying
// each frame from one TAP device to the other with one read and one write, on one thread.
// A client namespace behind one device and a service namespace behind the other talk through
// it; what they reach is the best a TAP-attached stack (like golem-proxyd's) could reach.
//
//   tap_copier [--offload] TAP_A TAP_B   (creates both; prints "ready"; stops on SIGINT or
//                                         SIGTERM)
//
// With --offload both devices have IFF_VNET_HDR and TCP segmentation offload: the kernels on
// either side hand over TCP super-frames of up to 64 KiB, copied with their virtio-net header
// as they are: the ceiling for a TAP link with offload.
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

namespace {

volatile std::sig_atomic_t stopping = 0;

int open_tap(const char* name, bool offload) {
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  ifreq request{};
  request.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &request) < 0 ||
      (offload && ::ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  const bool offload = argc == 4 && std::strcmp(argv[1], "--offload") == 0;
  if (argc != 3 && !offload) {
    std::fprintf(stderr, "usage: %s [--offload] TAP_A TAP_B\n", argv[0]);
    return 2;
  }
  const int a = open_tap(argv[argc - 2], offload), b = open_tap(argv[argc - 1], offload);
  if (a < 0 || b < 0) {
    std::perror("TAP");
    return 1;
  }
  std::signal(SIGINT, [](int) { stopping = 1; });
  std::signal(SIGTERM, [](int) { stopping = 1; });
  std::printf("ready\n");
  std::fflush(stdout);
  static unsigned char frame[65536];
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  while (!stopping) {
    if (::poll(fds, 2, 200) <= 0) continue;
    for (int side = 0; side < 2; ++side) {
      if ((fds[side].revents & POLLIN) == 0) continue;
      const int from = side == 0 ? a : b, to = side == 0 ? b : a;
      // Drain what is there (bounded), one frame per read and one per write.
      for (int i = 0; i < 64; ++i) {
        const ssize_t n = ::read(from, frame, sizeof frame);
        if (n <= 0) break;
        if (::write(to, frame, static_cast<std::size_t>(n)) < 0) {
          // The other side's queue is full: the frame is lost, as on a wire.
        }
      }
    }
  }
  ::close(a);
  ::close(b);
  return 0;
}
