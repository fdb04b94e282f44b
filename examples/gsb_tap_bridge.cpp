// A Golem VPN node made of a real Linux kernel: the node's frames travel over the Golem Service
// Bus (GsbLink) and come out of a TAP device (TapLink), joined back to back by a LinkBridge.
// This is what yagna's exe-unit does for a VM; here it lets a namespace with real services
// stand in for a provider's service node in interop tests and demos.
//
//   gsb_tap_bridge --vpn NET_ID --tap NAME [--gsb URL] [--node-id 0x…] [--peer IP=NODE_ID]…
//                  [--bind-prefix PREFIX]
//
// --gsb defaults to YAGNA_GSB_URL, GSB_URL, then unix:/tmp/yagna.sock; --node-id to YAGNA_NODE_ID,
// then the daemon's default identity. --bind-prefix is /public beside a yagna daemon; on a bare
// ya-sb-router shared by all nodes use /udp/net/<own node id>. Peers are learned from traffic
// too. Prints "ready" once the Service Bus confirmed the node's addresses; stops on SIGINT or
// SIGTERM. Needs CAP_NET_ADMIN for the TAP device.
#include <libproxy/gsb_client.hpp>
#include <libproxy/gsb_identity.hpp>
#include <libproxy/gsb_link.hpp>
#include <libproxy/link_bridge.hpp>
#include <libproxy/tap_link.hpp>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string gsb_url = libproxy::gsb_url_from_environment();
  std::string vpn;
  std::string tap;
  std::string node_id;
  std::string bind_prefix = "/public";
  std::vector<std::pair<asio::ip::address_v4, std::string>> peers;
};

std::optional<Options> parse(int argc, char** argv) {
  Options options;
  if (const char* node = std::getenv("YAGNA_NODE_ID")) options.node_id = node;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--gsb") {
      options.gsb_url = value;
    } else if (flag == "--vpn") {
      options.vpn = value;
    } else if (flag == "--tap") {
      options.tap = value;
    } else if (flag == "--node-id") {
      options.node_id = value;
    } else if (flag == "--bind-prefix") {
      options.bind_prefix = value;
    } else if (flag == "--peer") {
      const auto equals = value.find('=');
      std::error_code ec;
      const auto address = asio::ip::make_address_v4(value.substr(0, equals), ec);
      if (equals == std::string::npos || ec) return std::nullopt;
      options.peers.emplace_back(address, value.substr(equals + 1));
    } else {
      return std::nullopt;
    }
  }
  if (argc % 2 == 0 || options.vpn.empty() || options.tap.empty()) return std::nullopt;
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "usage: %s --vpn NET_ID --tap NAME [--gsb URL] [--node-id 0x...] "
                 "[--peer IP=NODE_ID]... [--bind-prefix PREFIX]\n",
                 argv[0]);
    return 2;
  }
  asio::io_context io;
  libproxy::GsbClientConfig config;
  config.url = options->gsb_url;
  config.name = "gsb-tap-bridge";
  auto client = libproxy::GsbClient::create(io, config);
  if (!client) {
    std::fprintf(stderr, "%s: %s\n", options->gsb_url.c_str(), client.error().message().c_str());
    return 2;
  }
  libproxy::GsbClient& bus = *client.value();
  std::error_code ec;
  auto tap = libproxy::TapLink::open(io, options->tap, ec);
  if (!tap) {
    std::fprintf(stderr, "TAP %s: %s\n", options->tap.c_str(), ec.message().c_str());
    return 1;
  }

  std::unique_ptr<libproxy::GsbLink> link;
  std::optional<libproxy::LinkBridge> bridge;
  std::string node_id = options->node_id;  // or the identity service's answer
  int status = 0;
  asio::steady_timer ready_check(io);
  std::function<void()> wait_ready = [&] {
    const auto now = bus.status();
    bool registered = now.state == libproxy::GsbState::connected;
    for (const auto& binding : now.bindings) registered = registered && binding.registered;
    if (registered) {
      std::printf("ready: node %s, VPN %s, TAP %s, serving %s\n", node_id.c_str(),
                  options->vpn.c_str(), tap->name().c_str(), link->raw_address().c_str());
      std::fflush(stdout);
      return;
    }
    ready_check.expires_after(std::chrono::milliseconds(20));
    ready_check.async_wait([&](std::error_code error) {
      if (!error) wait_ready();
    });
  };
  auto join = [&](const std::string& id) {
    node_id = id;
    libproxy::GsbLinkConfig link_config{options->vpn, node_id, options->bind_prefix, {}};
    auto created = libproxy::GsbLink::create(bus, link_config);
    if (!created) {
      std::fprintf(stderr, "cannot serve VPN %s: %s\n", options->vpn.c_str(),
                   created.error().message().c_str());
      status = 1;
      return io.stop();
    }
    link = std::move(created).value();
    for (const auto& [address, peer] : options->peers)
      link->nodes()->set(address, peer, libproxy::GsbNodeTable::Source::told);
    bridge.emplace(*link, *tap);
    wait_ready();
  };

  bus.start();
  if (!options->node_id.empty()) {
    join(options->node_id);
  } else {
    libproxy::fetch_default_node_id(bus, [&](std::error_code error, std::string id) {
      if (error) {
        std::fprintf(stderr, "no node id (--node-id, YAGNA_NODE_ID or the identity service): %s\n",
                     error.message().c_str());
        status = 1;
        return io.stop();
      }
      join(id);
    });
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code, int) { io.stop(); });
  io.run();
  bridge.reset();
  link.reset();
  return status;
}
