// The smallest real use of libproxy: forward one local TCP port to a service inside a TAP
// network, through the embedded TCP/IP stack.
//
//   forward_tcp TAP_NAME PROXY_ADDRESS/PREFIX LISTEN_PORT SERVICE_IP:SERVICE_PORT
//   e.g. forward_tcp tap0 10.20.30.41/24 8080 10.20.30.40:80      (needs CAP_NET_ADMIN)
//
// Give the TAP device's other side an address in the same network (or move it into a network
// namespace and do it there), run a service at SERVICE_IP, and connect to LISTEN_PORT.
#include <libproxy/proxy.hpp>
#include <libproxy/tap_link.hpp>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s TAP_NAME PROXY_ADDRESS/PREFIX LISTEN_PORT SERVICE_IP:PORT\n",
                 argv[0]);
    return 2;
  }
  const std::string cidr = argv[2], service = argv[4];
  const auto slash = cidr.find('/'), colon = service.rfind(':');
  if (slash == std::string::npos || colon == std::string::npos) {
    std::fprintf(stderr, "expected A.B.C.D/PREFIX and IP:PORT\n");
    return 2;
  }

  try {
    asio::io_context io;
    libproxy::Proxy proxy(io);  // on the thread that runs io, like every libproxy call

    std::error_code ec;
    auto tap = libproxy::TapLink::open(io, argv[1], ec);
    if (!tap) {
      std::fprintf(stderr, "TAP %s: %s\n", argv[1], ec.message().c_str());
      return 1;
    }
    libproxy::VpnConfig vpn;
    vpn.id = "example";
    vpn.address = asio::ip::make_address_v4(cidr.substr(0, slash));
    vpn.prefix_length = static_cast<unsigned>(std::stoul(cidr.substr(slash + 1)));
    if (auto error = proxy.add_vpn(vpn, std::move(tap))) {
      std::fprintf(stderr, "VPN: %s\n", error.message().c_str());
      return 1;
    }

    libproxy::TcpGatewayConfig gateway;
    gateway.listen = {asio::ip::address_v4::loopback(),
                      static_cast<unsigned short>(std::stoul(argv[3]))};
    gateway.vpn_id = vpn.id;
    gateway.service = {asio::ip::make_address_v4(service.substr(0, colon)),
                       static_cast<unsigned short>(std::stoul(service.substr(colon + 1)))};
    auto added = proxy.add_tcp_gateway(gateway);
    if (!added) {
      std::fprintf(stderr, "gateway: %s\n", added.error().message().c_str());
      return 1;
    }
    std::printf("forwarding 127.0.0.1:%u -> %s inside %s; Ctrl-C stops\n", added->bound.port(),
                service.c_str(), argv[1]);

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const std::error_code&, int) {
      proxy.stop();
      io.stop();
    });
    io.run();
    return 0;
  } catch (const std::exception& e) {  // bad numbers or addresses in argv
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
