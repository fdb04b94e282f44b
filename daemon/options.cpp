#include "options.hpp"

#include "endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace proxyd {
namespace {

[[noreturn]] void bad(std::string message) { throw std::invalid_argument(std::move(message)); }

template <class Int>
Int parse_number(std::string_view text, Int min, Int max, std::string_view what) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
    bad(fmt::format("invalid {} '{}' (expected {}..{})", what, printable(text), min, max));
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// VPN ids as the Gateway API accepts them (api_input.cpp): they name GSB addresses.
bool is_vpn_id(std::string_view text) {
  return !text.empty() && text.size() <= 256 &&
         text.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             "-_.") == std::string_view::npos;
}

// Printable ASCII without spaces (tokens compared with header values, URLs, device names).
bool is_printable(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool is_node_id(std::string_view text) {
  return text.size() == 42 && text.substr(0, 2) == "0x" &&
         text.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string_view::npos;
}

// ID,address=A.B.C.D/LEN[,tap=NAME[,offload=on|off]][,mtu=N][,peer=IP@NODE_ID]...
CommandLineVpn parse_vpn(std::string_view spec) {
  const auto parts = split(spec, ',');
  CommandLineVpn out;
  out.vpn.id = std::string(parts[0]);
  if (!is_vpn_id(out.vpn.id))
    bad(fmt::format("--vpn '{}': the VPN id must be letters, digits, '-', '_' or '.'",
                    printable(spec)));
  bool has_address = false;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto eq = parts[i].find('=');
    if (eq == std::string_view::npos)
      bad(fmt::format("--vpn: expected key=value, got '{}'", printable(parts[i])));
    const auto key = parts[i].substr(0, eq), value = parts[i].substr(eq + 1);
    if (key == "tap") {
      if (value.size() > 15 || !is_vpn_id(value) || value == "." || value == "..")
        bad(
            fmt::format("--vpn '{}': tap= needs a device name of 1..15 letters, digits, '-', "
                        "'_' or '.'",
                        printable(spec)));
      out.tap_name = std::string(value);
    } else if (key == "address") {
      const Cidr cidr = parse_cidr(value);
      out.vpn.address = cidr.address;
      out.vpn.prefix_length = cidr.prefix_length;
      has_address = true;
    } else if (key == "offload") {
      if (value != "on" && value != "off")
        bad(fmt::format("--vpn '{}': offload= takes on or off", printable(spec)));
      out.offload = value == "on";
    } else if (key == "mtu") {
      out.vpn.mtu = parse_number<std::uint16_t>(value, 576, 1500, "MTU");
    } else if (key == "peer") {
      const auto at = value.find('@');
      std::optional<asio::ip::address> address;
      try {
        address = parse_ip_address(value.substr(0, std::min(at, value.size())));
      } catch (const std::invalid_argument&) {
      }
      if (at == std::string_view::npos || !address || !address->is_v4() ||
          !is_node_id(value.substr(at + 1)))
        bad(fmt::format("--vpn: peer=IP@NODE_ID expected (NODE_ID: 0x and 40 hex digits), got '{}'",
                        printable(value)));
      out.peers.emplace_back(address->to_v4(), std::string(value.substr(at + 1)));
    } else if (key == "requestor") {
      if (!is_node_id(value))
        bad(fmt::format("--vpn: requestor=NODE_ID expected (0x and 40 hex digits), got '{}'",
                        printable(value)));
      out.requestor = std::string(value);
    } else {
      bad(fmt::format(
          "--vpn: unknown key '{}' (expected address, tap, offload, mtu, peer, requestor)",
          printable(key)));
    }
  }
  if (!has_address)
    bad(fmt::format("--vpn '{}': address=A.B.C.D/LEN is required", printable(spec)));
  if (out.offload && out.tap_name.empty())
    bad(fmt::format("--vpn '{}': offload= applies to tap= devices only", printable(spec)));
  return out;
}

// tcp:LISTEN=VPN_ID,SERVICE_IP:PORT
libproxy::TcpGatewayConfig parse_gateway(std::string_view spec,
                                         const libproxy::TcpTimeouts& timeouts) {
  constexpr std::string_view tcp = "tcp:";
  if (spec.substr(0, tcp.size()) != tcp)
    bad(fmt::format("--gateway '{}': only tcp: gateways exist so far", printable(spec)));
  spec.remove_prefix(tcp.size());
  const auto eq = spec.rfind('=');
  const auto comma = spec.rfind(',');
  if (eq == std::string_view::npos || comma == std::string_view::npos || comma < eq)
    bad(fmt::format("--gateway: expected tcp:LISTEN=VPN_ID,SERVICE_IP:PORT, got 'tcp:{}'",
                    printable(spec)));
  libproxy::TcpGatewayConfig out;
  out.listen = parse_endpoint(spec.substr(0, eq), asio::ip::address_v4::any());
  if (out.listen.port() == 0) bad("--gateway: the public port must not be 0");
  out.vpn_id = std::string(spec.substr(eq + 1, comma - eq - 1));
  if (!is_vpn_id(out.vpn_id))
    bad(fmt::format("--gateway: the VPN id must be letters, digits, '-', '_' or '.', got '{}'",
                    printable(out.vpn_id)));
  out.service = parse_endpoint(spec.substr(comma + 1), asio::ip::address_v4::any());
  if (!out.service.address().is_v4() || out.service.address().is_unspecified() ||
      out.service.port() == 0)
    bad(fmt::format("--gateway: service '{}' must be IPV4:PORT",
                    printable(spec.substr(comma + 1))));
  out.timeouts = timeouts;
  return out;
}

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view what) {
  // A number of seconds, or of milliseconds with an "ms" suffix.
  if (text.size() > 2 && text.substr(text.size() - 2) == "ms")
    return std::chrono::milliseconds(
        parse_number<long>(text.substr(0, text.size() - 2), 1, 86'400'000, what));
  return std::chrono::seconds(parse_number<long>(text, 1, 86'400, what));
}

}  // namespace

Options parse_options(const std::vector<std::string_view>& args) {
  Options options;
  auto& timeouts = options.timeouts;
  auto& max_connections = options.max_connections;
  std::vector<std::string_view> gateway_specs;
  std::optional<std::size_t> buffer_per_source;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto arg = args[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= args.size()) bad(fmt::format("{} needs a value", arg));
      return args[++i];
    };
    if (arg == "-h" || arg == "--help") {
      options.help = true;
    } else if (arg == "--vpn") {
      options.vpns.push_back(parse_vpn(value()));
    } else if (arg == "--gateway") {
      gateway_specs.push_back(value());
    } else if (arg == "--connect-timeout") {
      timeouts.connect = parse_duration(value(), "--connect-timeout");
    } else if (arg == "--idle-timeout") {
      timeouts.idle = parse_duration(value(), "--idle-timeout");
    } else if (arg == "--linger-timeout") {
      timeouts.linger = parse_duration(value(), "--linger-timeout");
    } else if (arg == "--api") {
      const auto endpoint = parse_endpoint(value(), asio::ip::address_v4::loopback());
      options.api_host = endpoint.address().to_string();
      options.api_port = endpoint.port();
    } else if (arg == "--no-api") {
      options.api = false;
    } else if (arg == "--api-token") {
      options.api_token = std::string(value());
      if (!is_printable(options.api_token) || options.api_token.size() > 4096)
        bad("--api-token: 1..4096 printable ASCII characters without spaces");
    } else if (arg == "--public-address") {
      options.public_address = parse_ip_address(value());
    } else if (arg == "--transport") {
      const auto name = value();
      if (name == "tap")
        options.transport = Transport::tap;
      else if (name == "gsb")
        options.transport = Transport::gsb;
      else
        bad(fmt::format("--transport: expected tap or gsb, got '{}'", printable(name)));
    } else if (arg == "--tap-offload") {
      options.tap_offload = true;
    } else if (arg == "--gsb-url") {
      options.gsb_url = std::string(value());
      if (!is_printable(options.gsb_url)) bad("--gsb-url: printable ASCII without spaces");
    } else if (arg == "--node-id") {
      const auto id = value();
      if (!is_node_id(id))
        bad(fmt::format("--node-id: expected 0x and 40 hex digits, got '{}'", printable(id)));
      options.node_id = std::string(id);
    } else if (arg == "--gsb-start-timeout") {
      options.gsb_start_timeout = parse_duration(value(), "--gsb-start-timeout");
    } else if (arg == "--gsb-max-nodes") {
      options.gsb_max_nodes = parse_number<std::size_t>(value(), 1, 1'000'000, "--gsb-max-nodes");
    } else if (arg == "--gsb-max-frame-bytes") {
      options.gsb_max_frame_bytes =
          parse_number<std::size_t>(value(), 64 * 1024, 64 << 20, "--gsb-max-frame-bytes");
    } else if (arg == "--gsb-max-queued-bytes") {
      options.gsb_max_queued_bytes =
          parse_number<std::size_t>(value(), 64 * 1024, 1 << 30, "--gsb-max-queued-bytes");
    } else if (arg == "--udp-idle-timeout") {
      options.udp_idle_timeout = parse_duration(value(), "--udp-idle-timeout");
    } else if (arg == "--udp-max-flows") {
      options.udp_max_flows = parse_number<std::size_t>(value(), 1, 1'000'000, "--udp-max-flows");
    } else if (arg == "--rate-window") {
      options.rate_window = parse_duration(value(), "--rate-window");
      if (options.rate_window < std::chrono::milliseconds(100))
        bad("--rate-window: at least 100ms");
    } else if (arg == "--tcp-ooseq-max-bytes") {
      options.stack_limits.tcp_ooseq_max_bytes =
          parse_number<std::uint32_t>(value(), 1, 64u << 20, "--tcp-ooseq-max-bytes");
      // lwIP counts queued buffers in a u16_t: a cap at 65535 would never trip, and each
      // segment walks the queue, so the buffer caps stay well below that.
    } else if (arg == "--tcp-ooseq-max-pbufs") {
      options.stack_limits.tcp_ooseq_max_pbufs =
          parse_number<std::uint16_t>(value(), 1, 16384, "--tcp-ooseq-max-pbufs");
    } else if (arg == "--ip-reass-max-pbufs") {
      options.stack_limits.ip_reass_max_pbufs =
          parse_number<std::uint16_t>(value(), 1, 16384, "--ip-reass-max-pbufs");
    } else if (arg == "--max-connections") {
      max_connections = parse_number<std::size_t>(value(), 1, 1'000'000, "--max-connections");
      // ---- the management API's bounds (ManagementFront) ----
    } else if (arg == "--api-max-header-bytes") {
      options.api_limits.max_header_bytes =
          parse_number<std::size_t>(value(), 256, 1 << 20, "--api-max-header-bytes");
    } else if (arg == "--api-max-headers") {
      options.api_limits.max_headers =
          parse_number<std::size_t>(value(), 1, 10'000, "--api-max-headers");
    } else if (arg == "--api-request-timeout") {
      options.api_limits.request_timeout = parse_duration(value(), "--api-request-timeout");
    } else if (arg == "--api-max-body-bytes") {
      options.api_limits.max_body_bytes =
          parse_number<std::size_t>(value(), 1024, 64 << 20, "--api-max-body-bytes");
    } else if (arg == "--api-max-pending") {
      options.api_limits.max_pending_connections =
          parse_number<std::size_t>(value(), 1, 100'000, "--api-max-pending");
    } else if (arg == "--api-max-pending-per-source") {
      options.api_limits.max_pending_per_source =
          parse_number<std::size_t>(value(), 1, 100'000, "--api-max-pending-per-source");
    } else if (arg == "--api-workers") {
      options.api_limits.workers = parse_number<std::size_t>(value(), 1, 256, "--api-workers");
    } else if (arg == "--api-queue") {
      options.api_limits.max_queued_requests =
          parse_number<std::size_t>(value(), 1, 100'000, "--api-queue");
      // ---- limits (memory, per source, probes) ----
    } else if (arg == "--memory-budget") {
      options.limits.memory_budget =
          parse_number<std::size_t>(value(), 16, 1'048'576, "--memory-budget (MiB)") << 20;
    } else if (arg == "--memory-high-watermark") {
      options.limits.high_watermark_percent =
          parse_number<unsigned>(value(), 10, 100, "--memory-high-watermark (%)");
    } else if (arg == "--max-connection-buffer") {
      // At least what one offered window weighs twice over (ProxyLimits::min_connection_buffer):
      // any smaller and ordinary full-speed connections would be reset.
      options.limits.max_connection_buffer =
          parse_number<std::size_t>(value(), libproxy::ProxyLimits::min_connection_buffer >> 10,
                                    1'048'576, "--max-connection-buffer (KiB)")
          << 10;
    } else if (arg == "--max-buffer-per-source") {
      buffer_per_source =
          parse_number<std::size_t>(value(), 0, 1'048'576, "--max-buffer-per-source (MiB)") << 20;
    } else if (arg == "--max-connections-per-source") {
      options.limits.tcp_per_source.max_connections =
          parse_number<std::size_t>(value(), 0, 1'000'000, "--max-connections-per-source");
    } else if (arg == "--connection-rate-per-source") {
      options.limits.tcp_per_source.connection_rate =
          parse_number<unsigned>(value(), 0, 1'000'000, "--connection-rate-per-source");
      options.limits.tcp_per_source.connection_burst =
          2 * options.limits.tcp_per_source.connection_rate;
    } else if (arg == "--udp-max-flows-per-source") {
      options.udp_max_flows_per_source =
          parse_number<std::size_t>(value(), 1, 1'000'000, "--udp-max-flows-per-source");
    } else if (arg == "--udp-min-idle-to-evict") {
      options.udp_min_idle_to_evict = parse_duration(value(), "--udp-min-idle-to-evict");
    } else if (arg == "--probe-max-connections-per-source") {
      options.probe_limits.tcp_per_source.max_connections =
          parse_number<std::size_t>(value(), 1, 64, "--probe-max-connections-per-source");
    } else if (arg == "--probe-connection-rate") {
      auto& l = options.probe_limits.tcp_per_source;
      l.connection_rate = parse_number<unsigned>(value(), 1, 1'000'000, "--probe-connection-rate");
      l.connection_burst = 2 * l.connection_rate;
    } else if (arg == "--probe-max-connections") {
      options.probe_limits.max_connections =
          parse_number<std::size_t>(value(), 1, 100'000, "--probe-max-connections");
    } else if (arg == "--probe-max-head-bytes") {
      options.probe_limits.max_head_bytes =
          parse_number<std::size_t>(value(), 256, 1'048'576, "--probe-max-head-bytes");
    } else if (arg == "--probe-header-timeout") {
      options.probe_limits.header_timeout = parse_duration(value(), "--probe-header-timeout");
    } else if (arg == "--udp-probe-rate-per-source") {
      auto& l = options.probe_limits.udp_per_source;
      l.connection_rate =
          parse_number<unsigned>(value(), 1, 1'000'000, "--udp-probe-rate-per-source");
      l.connection_burst = 2 * l.connection_rate;
    } else if (arg == "--udp-probe-rate") {
      options.probe_limits.udp_answers_per_second =
          parse_number<unsigned>(value(), 1, 1'000'000, "--udp-probe-rate");
    } else {
      bad(fmt::format("unknown option '{}' (see --help)", printable(arg)));
    }
  }
  // By default one source may hold a quarter of the budget, whatever the budget is.
  options.limits.max_buffer_per_source =
      buffer_per_source.value_or(options.limits.memory_budget / 4);
  // Timeouts and limits apply to every gateway, wherever they stand on the command line.
  for (const auto spec : gateway_specs) {
    options.gateways.push_back(parse_gateway(spec, timeouts));
    options.gateways.back().max_connections = max_connections;
  }
  return options;
}

std::string usage() {
  return R"(Usage: golem-proxyd [OPTIONS]

Forwards public TCP ports into Golem VPNs through an embedded TCP/IP stack (GAP-22).

Options:
  --vpn ID,address=A.B.C.D/LEN[,tap=NAME[,offload=on]][,mtu=N][,peer=IP@NODE_ID]...
        [,requestor=NODE_ID]
        Join VPN ID as A.B.C.D: over the TAP device NAME (created if missing), or
        without tap= over the transport. mtu defaults to 1220, the Golem VM MTU.
        offload=on opens the TAP device with segmentation offload: TCP crosses
        it in super-frames of up to 64 KiB, which the kernel cuts to the MTU.
        peer= says which node hosts a service address (GSB). Repeatable.
        requestor= makes the VPN that requestor's: API gateways of others get 409,
        and over the GSB only its VpnControl is obeyed. Without it the VPN takes
        any requestor's gateways and obeys no VpnControl.
  --gateway tcp:LISTEN=VPN_ID,SERVICE_IP:PORT
        Forward connections to LISTEN (ip:port, [ipv6]:port or a bare port on
        0.0.0.0) to SERVICE_IP:PORT inside VPN_ID. Repeatable.
  --connect-timeout T   Reset a client whose service does not answer in T (default 5).
  --idle-timeout T      Reset a connection idle for T (default 600).
  --linger-timeout T    Reset a half-closed connection idle for T (default 30).
  --max-connections N   Reset new clients of a gateway that has N open (default 16384).
  --udp-idle-timeout T  End a UDP flow with no datagram either way for T (default 60).
  --udp-max-flows N     Flows per UDP gateway; a new client evicts the flow idle the
                        longest (default 4096).
  --api ADDR:PORT       Serve the management API there (default 127.0.0.1:7466; port 0
                        picks a free one). A non-loopback address needs --api-token.
  --api-token TOKEN     Require "Authorization: Bearer TOKEN" (or GOLEM_PROXY_API_TOKEN).
  --no-api              Serve no management API.
  --api-max-header-bytes N  Answer 431 to a request line and headers over N bytes
                        (default 16384).
  --api-max-headers N   Answer 431 to a request with over N headers (default 100).
  --api-request-timeout T  Answer 408 to a request not complete T after its connection
                        opened (default 10).
  --api-max-body-bytes N  Answer 413 to a body over N bytes (default 65536).
  --api-max-pending N   Connections still sending their request; past N, new ones get 503
                        (default 512). Past 2 x N held (sending, or being answered an
                        error), new ones are closed at once.
  --api-max-pending-per-source N  Connections one address may hold; past N, 503 (default 32).
  --api-workers N       Threads running API requests (default 4).
  --api-queue N         Complete requests waiting for a worker; past N, 503 (default 64).
  --public-address IP   Where a gateway given as a bare port binds (default 0.0.0.0).
  --transport tap|gsb   How VPNs that arrive through the Gateway API are reached: a TAP
                        device each, or the Golem Service Bus of the local yagna daemon.
                        Default: gsb when yagna's extension environment is present
                        (YAGNA_GSB_URL or YAGNA_NODE_ID), else tap.
  --tap-offload         Open the TAP devices of those VPNs with segmentation offload (as
                        offload=on does for --vpn).
  --gsb-url URL         The bus (default: YAGNA_GSB_URL, GSB_URL, unix:/tmp/yagna.sock);
                        unix:PATH, tcp://HOST:PORT or HOST:PORT.
  --node-id 0x...       The proxy's node id (default: YAGNA_NODE_ID, else yagna's
                        identity service).
  --gsb-start-timeout T Give up (exit 1) if the bus is not reached in T (default 15).
  --gsb-max-nodes N     Node-table entries per VPN: addresses the proxy was told or
                        learned; past it new ones are refused and counted (default 4096).
  --gsb-max-frame-bytes N  Incoming bus frames longer than N are skipped and counted
                        (default 1048576).
  --gsb-max-queued-bytes N  Bytes of pushes and call replies waiting for the bus socket;
                        past it they are dropped and counted (default 4194304).
  --rate-window T       The span of "current" rates in the metrics (default 1).
  --tcp-ooseq-max-bytes N  Out-of-order TCP bytes one VPN connection may hold; the
                        queue's tail is dropped past it (default 524288).
  --tcp-ooseq-max-pbufs N  The same in buffers, about one per segment (default 256).
  --ip-reass-max-pbufs N   Buffers held by IPv4 reassembly over all VPNs (default 128).
  Limits (each refusal, reset and hold is counted in the Status API and /metrics):
  --memory-budget MIB   Bytes all connections may hold, charged per pbuf (default 512).
                        Past the high watermark no client is read and no window reopens;
                        past the budget the newest connections holding bytes are reset,
                        and so are they when an overload lasts over 1 s, down to 90 % of the
                        watermark.
  --memory-high-watermark PCT  Of the budget (default 80).
  --max-connection-buffer KIB  Service bytes one connection may hold for its client, charged
                        per pbuf; past half its window stays closed, past all it is reset
                        (default 2048, at least 1280: one offered window must fit).
  --max-buffer-per-source MIB  Bytes the connections of one client IP (IPv6: /64) may hold
                        together; past it the one charged more is reset (default: a quarter
                        of the budget; 0: no bound).
  --max-connections-per-source N  Open connections per client IP and gateway (default 2048;
                        0: no limit).
  --connection-rate-per-source R  New connections per second per client IP and gateway,
                        burst 2R (default 2000; 0: no limit).
  --udp-max-flows-per-source N  UDP flows per client IP and gateway (default 1024).
  --udp-min-idle-to-evict T  At the flow cap, a new client evicts the flow idle the longest
                        only if it has been idle for T, else it is refused (default 10).
  --probe-max-connections-per-source N  Per probe (default 8).
  --probe-max-connections N  Connections one TCP probe holds, all sources (default 64).
  --probe-max-head-bytes N  The longest request head a TCP probe reads (default 8192).
  --probe-connection-rate R  New probe connections per second per client IP, burst 2R
                        (default 10).
  --probe-header-timeout T  A probe connection must send its request head in T (default 2).
  --udp-probe-rate-per-source R  UDP probe answers per second per client IP, burst 2R
                        (default 5).
  --udp-probe-rate R    UDP probe answers per second, all sources (default 1000).
        T is in seconds, or in milliseconds with an "ms" suffix (e.g. 500ms).
  -h, --help            Show this text.

Example:
  golem-proxyd --vpn demo,tap=gp0,address=10.20.30.41/24 \
               --gateway tcp:8080=demo,10.20.30.40:80

VPNs that first appear in a Gateway API call are joined over the transport: a new TAP device,
or the Service Bus addresses /public/vpn/ID/raw and /public/vpn/ID/VpnControl; the gateway's
"vpnLink" field names it. As a yagna extension the daemon reads YAGNA_GSB_URL and YAGNA_NODE_ID. SIGINT or SIGTERM stops the daemon; it closes every socket and prints
its counters.
)";
}

}  // namespace proxyd
