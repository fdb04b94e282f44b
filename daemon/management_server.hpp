// ManagementServer: the management REST API (GAP-22). ManagementFront owns the sockets and reads
// each request within bounds; its workers run httplib's parser and the routes on the whole request.
// Handlers parse and validate on that thread, then run the operation on the io thread (the
// only one that touches the data plane) and wait for its value result.
#pragma once

#include "api_limits.hpp"
#include "gateway_service.hpp"
#include "management_front.hpp"
#include "probe_service.hpp"

#include <libproxy/gsb_client.hpp>

#include <asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace proxyd {

class RoutedServer;  // httplib::Server with its request processing opened to the front

struct ManagementOptions {
  std::string host = "127.0.0.1";
  int port = 7466;  ///< the documented default; 0 picks a free port (tests)
  /// When set, every request needs "Authorization: Bearer <token>". Required to bind an address
  /// other than loopback.
  std::string token;
  ApiLimits limits;  ///< header, body, time and queue bounds (ManagementFront)
  /// Where a bare port in {addr} binds.
  asio::ip::address default_public_address = asio::ip::address_v4::any();
  /// The span of the "current" rate (the Proxy's rate window), reported with every rate.
  std::chrono::milliseconds rate_window = std::chrono::seconds(1);
};

class ManagementServer {
public:
  ManagementServer(asio::io_context& io, libproxy::Proxy& proxy, GatewayService& gateways,
                   ProbeService& probes, ManagementOptions options);
  ~ManagementServer();
  ManagementServer(const ManagementServer&) = delete;
  ManagementServer& operator=(const ManagementServer&) = delete;

  /// What the Status API reports about the VPN transport; `bus` (may be null) is read on the io
  /// thread and must outlive the server; `node_id` is the proxy's on the bus.
  void set_transport(std::string name, const libproxy::GsbClient* bus, std::string node_id) {
    transport_ = std::move(name);
    bus_ = bus;
    node_id_ = std::move(node_id);
  }
  /// Binds and starts serving; false with `error` set if it cannot.
  bool start(std::string& error);
  /// Runs one complete request (as the front hands it on) through httplib's parser and the
  /// routes without any socket, and returns the response's bytes: the fuzzer's way in.
  std::string serve_in_memory(const std::string& request);
  /// The bound port.
  int port() const { return port_; }
  /// Stops serving and joins the front's threads. Idempotent.
  void stop();
  /// Every route served, as (method, path template such as "/probe-api/v1/{proto}/{addr}").
  const std::vector<std::pair<std::string, std::string>>& routes() const { return routes_; }
  const ApiFrontCounters& front_counters() const { return front_.counters(); }

private:
  void add_routes();
  void route(const char* method, const std::string& path,
             std::function<void(const httplib::Request&, httplib::Response&)> handler);
  void add_gateway_routes();
  void add_probe_routes();
  void add_status_routes();  // status_api.cpp

  asio::io_context& io_;
  libproxy::Proxy& proxy_;
  GatewayService& gateways_;
  std::string transport_ = "tap";
  const libproxy::GsbClient* bus_ = nullptr;
  std::string node_id_;
  ProbeService& probes_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  ManagementOptions options_;
  std::unique_ptr<RoutedServer> server_;
  ManagementFront front_;
  int port_ = 0;
  std::vector<std::pair<std::string, std::string>> routes_;
  std::atomic<bool> stopping_{false};
};

}  // namespace proxyd
