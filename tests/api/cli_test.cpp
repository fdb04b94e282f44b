// golem-proxyctl as scripts and people use it: a subprocess against a running golem-proxyd.
#include "../support/netns.hpp"
#include "api_daemon.hpp"

#include <sys/wait.h>

#include <cstdio>

using namespace testing;

namespace {

// Runs golem-proxyctl with `args` against the daemon's API; stdout is captured, stderr too.
CommandResult ctl(const ApiDaemon& api, const std::string& args) {
  return run_command(std::string("GOLEM_PROXY_API=http://127.0.0.1:") + std::to_string(api.port) +
                     " " + GOLEM_PROXYCTL_PATH + " " + args + " 2>&1");
}

}  // namespace

TEST_CASE("golem-proxyctl drives probes in table and JSON form with exit codes") {
  ApiDaemon api;  // probes need no root
  const auto port = std::to_string(free_port());

  auto added = ctl(api, "probe add tcp 127.0.0.1:" + port + " 0xreq1 tok-1 --ttl 600");
  CHECK(added.exit_code == 0);
  CHECK(added.out.find("REQUESTOR") != std::string::npos);  // a table with a header
  CHECK(added.out.find("tok-1") != std::string::npos);

  const auto json = ctl(api, "--json probe get tcp 127.0.0.1:" + port + " 0xreq1");
  CHECK(json.exit_code == 0);
  const auto doc = parse(json.out);
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["token"].GetString()) == "tok-1");

  const auto listed = ctl(api, "--json probe list");
  CHECK(listed.exit_code == 0);
  CHECK(parse(listed.out).IsArray());
  CHECK(ctl(api, "probe list").out.find("127.0.0.1:" + port) != std::string::npos);

  const auto status = ctl(api, "status");
  CHECK(status.exit_code == 0);
  CHECK(status.out.find("probes") != std::string::npos);
  CHECK(parse(ctl(api, "--json status").out)["probes"].GetUint64() == 1);

  CHECK(ctl(api, "probe rm tcp 127.0.0.1:" + port + " 0xreq1").exit_code == 0);
  // An API error: exit 1 and the API's message.
  const auto missing = ctl(api, "probe rm tcp 127.0.0.1:" + port + " 0xreq1");
  CHECK(missing.exit_code == 1);
  CHECK(missing.out.find("not_found") != std::string::npos);
  const auto gateway = ctl(api, "gateway get tcp 127.0.0.1:" + port);
  CHECK(gateway.exit_code == 1);
  // Usage errors: exit 2 and the usage text.
  for (const auto* bad : {"", "frobnicate", "probe", "probe add tcp 1.2.3.4:5", "gateway frob",
                          "probe add sctp 1.2.3.4:5 r t", "gateway add tcp 8080 --vpn v",
                          "probe add tcp 1:2 r t --ttl soon"}) {
    INFO(bad);
    const auto run = ctl(api, bad);
    CHECK(run.exit_code == 2);
    CHECK(run.out.find("Usage:") != std::string::npos);
  }
  for (const auto* help : {"--help", "probe --help", "gateway add --help", "status --help"}) {
    INFO(help);
    const auto run = ctl(api, help);
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("Usage:") != std::string::npos);
  }
  // A trailing slash in --api is fine; another scheme is a usage error.
  CHECK(ctl(api, "--api http://127.0.0.1:" + std::to_string(api.port) + "/ status").exit_code == 0);
  CHECK(ctl(api, "--api ftp://127.0.0.1:1 status").exit_code == 2);
  // No API there: exit 1 with a message.
  const auto unreachable =
      ctl(api, std::string("--api http://127.0.0.1:") + std::to_string(free_port()) + " status");
  CHECK(unreachable.exit_code == 1);
  CHECK(unreachable.out.find("cannot reach the API") != std::string::npos);
}

TEST_CASE("golem-proxyctl adds and shows and removes a gateway") {
  require_root_and_tap();
  ApiDaemon api;
  const auto port = std::to_string(free_port());
  const auto added = ctl(api, "--json gateway add tcp 127.0.0.1:" + port +
                                  " --vpn net-cli --remote-addr 10.20.30.40:80 --local-addr "
                                  "10.20.30.41/24 --requestor r --activity a --remote-id p");
  CHECK(added.exit_code == 0);
  CHECK(std::string(parse(added.out)["vpnId"].GetString()) == "net-cli");
  const auto listed = ctl(api, "gateway list");
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("net-cli") != std::string::npos);
  CHECK(ctl(api, "gateway rm tcp 127.0.0.1:" + port).exit_code == 0);
  CHECK(ctl(api, "gateway get tcp 127.0.0.1:" + port).exit_code == 1);
}
