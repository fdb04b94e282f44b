// The management API as a caller reaches it: raw request bytes go through the front's head
// scanner (its bounds), then, if complete, through httplib's parser and every route handler of
// a real ManagementServer (with a real Proxy, gateway and probe services, and an io thread),
// in memory. The body and address parsers are fed the raw input as well.
//
// VPNs cannot be joined here (the transport refuses every link), so gateways fail after their
// checks; probes open real sockets on loopback, and are deleted after each input.
#include "api_input.hpp"
#include "management_front.hpp"
#include "management_server.hpp"

#include <libproxy/proxy.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <cstdint>
#include <future>
#include <string>
#include <string_view>
#include <thread>

namespace {

class NoTransport final : public proxyd::VpnTransport {
public:
  const char* name() const override { return "none"; }
  std::unique_ptr<libproxy::VpnLink> open(const std::string&, const std::string&, std::string&,
                                          std::error_code& ec) override {
    ec = std::make_error_code(std::errc::operation_not_permitted);
    return nullptr;
  }
};

struct Daemon {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  libproxy::Proxy proxy{io, std::chrono::seconds(1)};
  NoTransport transport;
  proxyd::GatewayService gateways{proxy, transport, libproxy::TcpTimeouts{}, 16, {}};
  proxyd::ProbeService probes{io};
  proxyd::ManagementServer server{io, proxy, gateways, probes, options()};
  std::thread thread{[this] { io.run(); }};

  static proxyd::ManagementOptions options() {
    proxyd::ManagementOptions o;
    o.default_public_address = asio::ip::address_v4::loopback();  // bare ports: loopback only
    return o;
  }
  // Deletes every probe on the io thread (the fuzzer's inputs would otherwise pile up sockets).
  void clear_probes() {
    std::promise<void> done;
    asio::post(io, [&] {
      for (const auto& probe : probes.list())
        for (const auto& token : probe.tokens)
          probes.remove(probe.protocol, probe.address, token.requestor_id, std::nullopt);
      done.set_value();
    });
    done.get_future().wait();
  }
};

Daemon& daemon() {
  static auto* instance = new Daemon;  // lives until exit, with its io thread
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  // The parsers of bodies and addresses on their own.
  (void)proxyd::api::parse_entry(input);
  (void)proxyd::api::parse_probe_token(input);
  const auto slash = input.find('/');
  (void)proxyd::api::parse_target(std::string_view(input).substr(0, slash),
                                  slash == std::string::npos ? "" : input.substr(slash + 1),
                                  asio::ip::address_v4::loopback());

  // The front's scanner, fed in pieces as a socket would give them.
  proxyd::ApiLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_body_bytes = 4096;
  proxyd::RequestHeadScanner scanner(limits);
  auto state = proxyd::RequestHeadScanner::State::incomplete;
  for (std::size_t end = 0; end < input.size();) {
    end = std::min(input.size(), end + 1 + static_cast<unsigned char>(input[end]) % 64);
    state = scanner.scan(std::string_view(input).substr(0, end));
  }
  if (state != proxyd::RequestHeadScanner::State::complete || input.size() < scanner.wanted())
    return 0;
  const std::string request = input.substr(0, scanner.wanted());
  if (request.substr(0, request.find("\r\n\r\n")).find('\0') != std::string::npos)
    __builtin_trap();  // the scanner lets no NUL into a head

  auto& d = daemon();
  const auto response = d.server.serve_in_memory(request);
  if (response.rfind("HTTP/1.1 ", 0) != 0) __builtin_trap();  // every request gets an answer
  d.clear_probes();
  return 0;
}
