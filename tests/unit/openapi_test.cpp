// The OpenAPI document (daemon/openapi.json) and the routes the management server serves
// describe the same API.
#include "../support/io_thread.hpp"
#include "gateway_service.hpp"
#include "management_server.hpp"
#include "probe_service.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

using testing::IoThread;

namespace {

using Route = std::pair<std::string, std::string>;  // method, path template

std::set<Route> documented_routes() {
  std::ifstream file(OPENAPI_PATH);
  std::stringstream text;
  text << file.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  REQUIRE(doc.IsObject());
  std::set<Route> routes;
  for (const auto& path : doc["paths"].GetObject())
    for (const auto& op : path.value.GetObject()) {
      std::string method = op.name.GetString();
      if (method == "parameters") continue;
      for (auto& c : method) c = static_cast<char>(std::toupper(c));
      routes.emplace(method, path.name.GetString());
    }
  return routes;
}

}  // namespace

TEST_CASE("every documented route is served and every served route is documented") {
  IoThread io;
  std::optional<libproxy::Proxy> proxy;
  io.call([&] { proxy.emplace(io.io()); });
  struct NoLinks final : proxyd::VpnTransport {
    const char* name() const override { return "none"; }
    std::unique_ptr<libproxy::VpnLink> open(const std::string&, const std::string&, std::string&,
                                            std::error_code& ec) override {
      ec = std::make_error_code(std::errc::operation_not_supported);
      return nullptr;
    }
  } no_links;
  proxyd::GatewayService gateways(*proxy, no_links, {}, 16);
  proxyd::ProbeService probes(io.io());
  proxyd::ManagementOptions options;
  options.port = 0;
  proxyd::ManagementServer server(io.io(), *proxy, gateways, probes, options);
  std::string error;
  REQUIRE(server.start(error));

  const auto documented = documented_routes();
  const std::set<Route> served(server.routes().begin(), server.routes().end());
  CHECK(documented == served);

  // And each one really answers (any status, but not "no such route").
  httplib::Client http("127.0.0.1", server.port());
  for (const auto& [method, path] : documented) {
    std::string concrete = path;
    for (const auto& [name, value] :
         {std::pair{"{proto}", "tcp"}, std::pair{"{addr}", "127.0.0.1:1"},
          std::pair{"{requestorId}", "r"}, std::pair{"{token}", "t"}})
      if (const auto at = concrete.find(name); at != std::string::npos)
        concrete.replace(at, std::string_view(name).size(), value);
    INFO(method << " " << concrete);
    auto result = method == "GET"    ? http.Get(concrete.c_str())
                  : method == "POST" ? http.Post(concrete.c_str(), "{}", "application/json")
                  : method == "PUT"  ? http.Put(concrete.c_str(), "{}", "application/json")
                                     : http.Delete(concrete.c_str());
    REQUIRE(result);
    CHECK(result->body.find("\"no_route\"") == std::string::npos);
  }
  server.stop();
  io.call([&] { proxy.reset(); });
}
