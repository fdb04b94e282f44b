// golem-proxyd: the inbound proxy daemon. Joins VPNs and opens the gateways given on the
// command line, serves the management API, and forwards until SIGINT or SIGTERM.
#include "endpoint.hpp"
#include "gateway_service.hpp"
#include "management_server.hpp"
#include "options.hpp"
#include "vpn_transport.hpp"

#include <libproxy/gsb_client.hpp>
#include <libproxy/gsb_identity.hpp>
#include <libproxy/proxy.hpp>
#include <libproxy/tap_link.hpp>

#include <fmt/format.h>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>

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

// Which transport carries VPNs that arrive through the API.
bool use_gsb(const proxyd::Options& options) {
  if (options.transport != proxyd::Transport::automatic)
    return options.transport == proxyd::Transport::gsb;
  // yagna starts extensions with these set (../shared/notes/golem-vpn.md §3).
  for (const char* name : {"YAGNA_GSB_URL", "YAGNA_NODE_ID"})
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return true;
  return false;
}

// Connects to the bus and learns the proxy's node id, running the io loop until both are done
// or the timeout passes. A bus that is not there yet is a failure a restart may cure.
std::optional<std::string> start_bus(asio::io_context& io, libproxy::GsbClient& bus,
                                     const proxyd::Options& options, const std::string& url) {
  std::string node_id = options.node_id;
  if (const char* env = std::getenv("YAGNA_NODE_ID"); node_id.empty() && env != nullptr)
    node_id = env;
  for (auto& c : node_id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool asked = node_id.empty(), answered = false;
  std::error_code identity_error;
  bus.start();
  if (asked)
    libproxy::fetch_default_node_id(bus, [&](std::error_code ec, std::string id) {
      answered = true;
      identity_error = ec;
      node_id = std::move(id);
    });
  const auto deadline = std::chrono::steady_clock::now() + options.gsb_start_timeout;
  while ((!bus.connected() || (asked && !answered)) && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(100));
  if (!bus.connected()) {
    fmt::print(stderr, "golem-proxyd: cannot reach the Golem Service Bus at {}: {}\n", url,
               bus.status().last_error);
    return std::nullopt;
  }
  if (asked && (!answered || identity_error)) {
    fmt::print(stderr,
               "golem-proxyd: no node id: yagna's identity service did not give one ({}); "
               "set --node-id or YAGNA_NODE_ID\n",
               answered ? identity_error.message() : "no answer");
    return std::nullopt;
  }
  if (node_id.size() != 42 || !node_id.starts_with("0x")) {
    fmt::print(stderr, "golem-proxyd: '{}' is not a node id (0x and 40 hex digits)\n", node_id);
    return std::nullopt;
  }
  return node_id;
}

int run(const proxyd::Options& options) {
  asio::io_context io(1);
  // The bus outlives the Proxy: the Proxy's GSB links unregister from it when they go.
  std::unique_ptr<libproxy::GsbClient> bus;
  std::unique_ptr<proxyd::VpnTransport> transport;
  libproxy::Proxy proxy(io, options.rate_window);
  proxy.set_limits(options.limits);
  proxy.set_stack_limits(options.stack_limits);
  if (use_gsb(options)) {
    const std::string url =
        options.gsb_url.empty() ? libproxy::gsb_url_from_environment() : options.gsb_url;
    libproxy::GsbClientConfig config;
    config.url = url;
    config.name = "golem-proxyd";
    auto created = libproxy::GsbClient::create(io, config);
    if (!created) {
      fmt::print(stderr, "golem-proxyd: '{}': {}\n", url, created.error().message());
      return 2;
    }
    bus = std::move(created).value();
    const auto node_id = start_bus(io, *bus, options, url);
    if (!node_id) return 1;
    fmt::print("gsb {} node {}\n", url, *node_id);
    transport = std::make_unique<proxyd::GsbTransport>(*bus, *node_id);
  } else {
    transport = std::make_unique<proxyd::TapTransport>(io, options.tap_offload);
  }
  libproxy::UdpGatewayConfig udp;
  udp.idle_timeout = options.udp_idle_timeout;
  udp.max_flows = options.udp_max_flows;
  udp.max_flows_per_source = options.udp_max_flows_per_source;
  udp.min_idle_to_evict = options.udp_min_idle_to_evict;
  proxyd::GatewayService gateways(proxy, *transport, options.timeouts, options.max_connections,
                                  udp);
  proxyd::ProbeService probes(io, options.probe_limits);
  gateways.set_probes(&probes);

  for (const auto& [vpn, tap_name, offload, peers] : options.vpns) {
    std::error_code ec;
    std::string link_name;
    std::unique_ptr<libproxy::VpnLink> link;
    if (!tap_name.empty()) {
      auto tap = libproxy::TapLink::open(io, tap_name, ec, {.offload = offload});
      if (tap) link_name = tap->name();
      link = std::move(tap);
    } else if (!bus) {
      fmt::print(stderr, "golem-proxyd: --vpn {}: tap=NAME is required with the TAP transport\n",
                 vpn.id);
      return 2;
    } else {
      link = transport->open(vpn.id, link_name, ec);
    }
    if (!link) {
      fmt::print(stderr, "golem-proxyd: cannot open a link for VPN '{}': {}\n", vpn.id,
                 ec.message());
      return 1;
    }
    if (auto error = proxy.add_vpn(vpn, std::move(link))) {
      fmt::print(stderr, "golem-proxyd: cannot join VPN '{}': {}\n", vpn.id, error.message());
      return 1;
    }
    for (const auto& [address, node] : peers) transport->add_peer(vpn.id, address, node);
    gateways.adopt_vpn(vpn, link_name);
    fmt::print("vpn {}: {}/{} on {}, mtu {}\n", vpn.id, vpn.address.to_string(), vpn.prefix_length,
               link_name, vpn.mtu);
  }
  for (auto gateway : options.gateways) {
    gateway.meters = {gateways.vpn_meter(gateway.vpn_id)};  // no activity: the VPN's meter only
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
    api_options.rate_window = options.rate_window;
    api = std::make_unique<proxyd::ManagementServer>(io, proxy, gateways, probes, api_options);
    api->set_transport(transport->name(), bus.get(),
                       bus ? static_cast<proxyd::GsbTransport&>(*transport).node_id() : "");
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

  const auto shut_down = [&](const std::string& why) {
    fmt::print("stopping {}\n", why);
    std::fflush(stdout);
    proxy.stop();
    io.stop();
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code& ec, int signal) {
    if (!ec) shut_down(fmt::format("on signal {}", signal));
  });
  // yagna signals only its own process when it stops, which would leave an extension running
  // on without its bus: an autostarted daemon (YAGNA_NODE_ID set) ends with its parent.
  asio::steady_timer parent_watch(io);
  const pid_t parent = getppid();
  std::function<void()> watch_parent = [&] {
    parent_watch.expires_after(std::chrono::milliseconds(500));
    parent_watch.async_wait([&](const std::error_code& ec) {
      if (ec) return;
      if (getppid() != parent) return shut_down(fmt::format("as its parent {} is gone", parent));
      watch_parent();
    });
  };
  if (const char* node = std::getenv("YAGNA_NODE_ID"); node != nullptr && parent != 1)
    watch_parent();
  io.run();
  if (api) api->stop();  // its handlers wait for the io thread, which no longer runs

  libproxy::for_each_counter(proxy.counters().tcp, [](const char* name, std::uint64_t value) {
    fmt::print("  {:<36} {}\n", name, value);
  });
  if (bus) {
    const auto gsb = bus->status().counters;
    fmt::print("  {:<36} {}\n  {:<36} {}\n  {:<36} {}\n", "gsb_frames_sent", gsb.frames_sent,
               "gsb_frames_received", gsb.frames_received, "gsb_reconnects",
               gsb.connects > 0 ? gsb.connects - 1 : 0);
  }
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
    // A closed stdout (yagna gone, say) must not kill the daemon; sockets use MSG_NOSIGNAL.
    std::signal(SIGPIPE, SIG_IGN);
    return run(options);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "golem-proxyd: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "golem-proxyd: {}\n", e.what());
    return 1;
  }
}
