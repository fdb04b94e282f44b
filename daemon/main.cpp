// golem-proxyd: the inbound proxy daemon. Joins VPNs and opens the gateways given on the
// command line, serves the management API, and forwards until SIGINT or SIGTERM.
#include "endpoint.hpp"
#include "gateway_service.hpp"
#include "management_server.hpp"
#include "options.hpp"

#include <libproxy/proxy.hpp>
#include <libproxy/tap_link.hpp>

#include <fmt/format.h>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace {

using proxyd::to_string;

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

// A VPN joined through the API gets a TAP device named after it: "gp" and 12 hex digits of a
// hash of its id (device names are at most 15 bytes).
std::unique_ptr<libproxy::VpnLink> open_tap_for(asio::io_context& io, const std::string& vpn_id,
                                                std::string& name, std::error_code& ec) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;  // FNV-1a
  for (unsigned char c : vpn_id) hash = (hash ^ c) * 0x100000001B3ULL;
  auto link = libproxy::TapLink::open(io, fmt::format("gp{:012x}", hash >> 16), ec);
  if (link) name = link->name();
  return link;
}

int run(const proxyd::Options& options) {
  asio::io_context io(1);
  libproxy::Proxy proxy(io);
  proxyd::GatewayService gateways(
      proxy,
      [&io](const std::string& vpn_id, std::string& name, std::error_code& ec) {
        return open_tap_for(io, vpn_id, name, ec);
      },
      options.timeouts, options.max_connections);
  proxyd::ProbeService probes(io);
  gateways.set_probes(&probes);

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
    gateways.adopt_vpn(vpn, device);
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
  std::unique_ptr<proxyd::ManagementServer> api;
  if (options.api) {
    proxyd::ManagementOptions api_options;
    api_options.host = options.api_host;
    api_options.port = options.api_port;
    api_options.token = options.api_token;
    api_options.default_public_address = options.public_address;
    api = std::make_unique<proxyd::ManagementServer>(io, proxy, gateways, probes, api_options);
    std::string error;
    if (!api->start(error)) {
      fmt::print(stderr, "golem-proxyd: {}\n", error);
      return 1;
    }
    fmt::print("api http://{}\n", to_string({asio::ip::make_address(options.api_host),
                                             static_cast<unsigned short>(api->port())}));
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
  if (api) api->stop();  // its handlers wait for the io thread, which no longer runs

  libproxy::for_each_counter(proxy.counters().tcp, [](const char* name, std::uint64_t value) {
    fmt::print("  {:<36} {}\n", name, value);
  });
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto options = proxyd::parse_options({argv + 1, argv + argc});
    if (const char* token = std::getenv("GOLEM_PROXY_API_TOKEN");
        token != nullptr && options.api_token.empty())
      options.api_token = token;
    if (options.help) {
      fmt::print("{}", proxyd::usage());
      return 0;
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
