// golem-proxyd with its management API on a free port, and helpers for API tests.
#pragma once

#include "../support/daemon_process.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace testing {

inline unsigned short free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::address_v4::loopback(), 0}, false);
  return probe.local_endpoint().port();
}

inline rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

inline std::string entry(const std::string& vpn_id, bool with_local_addr = true) {
  std::string json = R"({"requestorId":"0xreq","activityId":"act-1","vpnId":")" + vpn_id +
                     R"(","remoteId":"0xprov","remoteAddr":"10.20.30.40:7000")";
  if (with_local_addr) json += R"(,"localAddr":"10.20.30.41/24")";
  return json + "}";
}

// golem-proxyd with its API on a free loopback port, plus an HTTP client for it.
struct ApiDaemon {
  explicit ApiDaemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{GOLEM_PROXYD_PATH, "--api", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    process = std::make_unique<DaemonProcess>(args);
    port = api_port(*process);
    REQUIRE(port > 0);
    REQUIRE(process->wait_for_line("ready") == "ready\n");
    http = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  httplib::Result post(const std::string& path, const std::string& body) {
    return http->Post(path.c_str(), body, "application/json");
  }
  std::string list() { return http->Get("/gateway-api/v1/")->body; }

  std::unique_ptr<DaemonProcess> process;
  int port = 0;
  std::unique_ptr<httplib::Client> http;
};

inline std::string error_code(const httplib::Result& result) {
  const auto doc = parse(result->body);
  if (!doc.IsObject() || !doc.HasMember("error")) return "(no JSON error: " + result->body + ")";
  return doc["error"]["code"].GetString();
}

}  // namespace testing
