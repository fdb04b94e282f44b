// golem-proxyd: the inbound proxy daemon. Joins VPNs and opens the gateways given on the
// command line, then forwards until SIGINT or SIGTERM.
#include "options.hpp"

#include <libproxy/proxy.hpp>
#include <libproxy/tap_link.hpp>

#include <fmt/format.h>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <exception>

namespace {

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// Every proxied connection costs a descriptor. Root may raise the hard limit (to 2^20, the
// kernel's usual nr_open); otherwise allow as many as the hard limit does.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlimit wanted{1 << 20, 1 << 20};
  if (limit.rlim_max < wanted.rlim_max && setrlimit(RLIMIT_NOFILE, &wanted) == 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

int run(const proxyd::Options& options) {
  asio::io_context io(1);
  libproxy::Proxy proxy(io);

  for (const auto& [vpn, tap_name] : options.vpns) {
    std::error_code ec;
    auto link = libproxy::TapLink::open(io, tap_name, ec);
    if (!link) {
      fmt::print(stderr, "golem-proxyd: cannot open TAP device '{}': {}\n", tap_name, ec.message());
      return 1;
    }
    const std::string device = link->name();
    if (auto error = proxy.add_vpn(vpn, std::move(link))) {
      fmt::print(stderr, "golem-proxyd: cannot join VPN '{}': {}\n", vpn.id, error.message());
      return 1;
    }
    fmt::print("vpn {}: {}/{} on {}, mtu {}\n", vpn.id, vpn.address.to_string(), vpn.prefix_length,
               device, vpn.mtu);
  }
  for (const auto& gateway : options.gateways) {
    auto added = proxy.add_tcp_gateway(gateway);
    if (!added) {
      fmt::print(stderr, "golem-proxyd: cannot open gateway on {}: {}\n", to_string(gateway.listen),
                 added.error().message());
      return 1;
    }
    fmt::print("gateway tcp {} -> {} {}\n", to_string(added->bound), gateway.vpn_id,
               to_string(gateway.service));
  }
  fmt::print("ready\n");
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code& ec, int signal) {
    if (ec) return;
    fmt::print("stopping on signal {}\n", signal);
    proxy.stop();
    io.stop();
  });
  io.run();

  libproxy::for_each_counter(proxy.counters().tcp, [](const char* name, std::uint64_t value) {
    fmt::print("  {:<36} {}\n", name, value);
  });
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = proxyd::parse_options({argv + 1, argv + argc});
    if (options.help) {
      fmt::print("{}", proxyd::usage());
      return 0;
    }
    if (options.vpns.empty() && options.gateways.empty()) {
      fmt::print(stderr, "golem-proxyd: nothing to do; give --vpn and --gateway (see --help)\n");
      return 2;
    }
    raise_descriptor_limit();
    return run(options);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "golem-proxyd: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "golem-proxyd: {}\n", e.what());
    return 1;
  }
}
