// golem-proxyd installed as an autostart extension of a real yagna 0.17.6
// (docs/yagna-extension.md): what yagna passes it, how its output reaches yagna's log, what
// stopping yagna does to it, and that a failing start is retried.
#include "../support/io_thread.hpp"
#include "../support/yagna.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace testing;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A NUL-separated /proc file (cmdline, environ) as its entries.
std::vector<std::string> proc_strings(pid_t pid, const char* file) {
  const std::string text = slurp("/proc/" + std::to_string(pid) + "/" + file);
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (start < text.size()) {
    const auto end = text.find('\0', start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::map<std::string, std::string> proc_environment(pid_t pid) {
  std::map<std::string, std::string> out;
  for (const auto& entry : proc_strings(pid, "environ")) {
    const auto equals = entry.find('=');
    if (equals != std::string::npos) out[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  return out;
}

pid_t parent_of(pid_t pid) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  char state = 0;
  pid_t ppid = -1;
  fields >> state >> ppid;
  return ppid;
}

// The live processes whose command line holds `marker` as one argument (a zombie has none).
std::vector<pid_t> processes_with_argument(const std::string& marker) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (pid == ::getpid()) continue;
    for (const auto& arg : proc_strings(pid, "cmdline"))
      if (arg == marker) {
        out.push_back(pid);
        break;
      }
  }
  return out;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// An extensions directory for YAGNA_EXTENSIONS_DIR: `yagna-proxy`, a symlink to golem-proxyd,
// and `yagna-proxy.json`. Removed, with any golem-proxyd it left behind, by the destructor.
struct ExtensionDir {
  ExtensionDir(const std::string& json, std::string marker_) : marker(std::move(marker_)) {
    char pattern[] = "/tmp/lp-yext-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
    executable = path + "/yagna-proxy";
    std::filesystem::create_symlink(GOLEM_PROXYD_PATH, executable);
    std::ofstream(path + "/yagna-proxy.json") << json;
  }
  ~ExtensionDir() {
    // yagna 0.17.6 does not stop its extensions when it stops alone: reap what is left.
    for (const pid_t pid : processes_with_argument(marker)) ::kill(pid, SIGKILL);
    wait_until([&] { return processes_with_argument(marker).empty(); }, 5s);
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ExtensionDir(const ExtensionDir&) = delete;
  ExtensionDir& operator=(const ExtensionDir&) = delete;

  std::string environment() const { return "YAGNA_EXTENSIONS_DIR=" + path; }

  std::string marker;  // an argument of ours that only this test's golem-proxyd has
  std::string path;
  std::string executable;
};

std::optional<rapidjson::Document> proxy_status(httplib::Client& http) {
  const auto result = http.Get("/status-api/v1/status");
  if (!result || result->status != 200) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(result->body.c_str());
  if (!doc.IsObject()) return std::nullopt;
  return doc;
}

std::string member(const rapidjson::Value& value, const char* name) {
  if (!value.IsObject() || !value.HasMember(name) || !value[name].IsString()) return "<none>";
  return value[name].GetString();
}

const std::string other_node = "0x" + std::string(40, '1');

}  // namespace

TEST_CASE("yagna autostarts golem-proxyd as an extension on its bus") {
  require_yagna();
  YagnaHub hub;
  // yagna runs its extensions where it runs itself: the API listens in the hub's namespace.
  const unsigned short port = hub.netns().run(free_loopback_port);
  const std::string api = "127.0.0.1:" + std::to_string(port);
  // The file's env map is applied before yagna's own variables: YAGNA_NODE_ID here must lose.
  ExtensionDir extension(R"({"args": ["--api", ")" + api +
                             R"("], "env": {"LP_FROM_JSON": "yes", "YAGNA_NODE_ID": ")" +
                             other_node + R"("}, "autostart": true})",
                         api);
  YagnaOptions options;
  options.environment = {extension.environment()};
  options.own_process_group = true;
  YagnaDaemon yagna(hub, "x", options);

  httplib::Client http("127.0.0.1", port);
  http.set_connection_timeout(1s);
  http.set_read_timeout(5s);
  std::optional<rapidjson::Document> status;
  const bool answered = wait_until(
      [&] { return (status = hub.netns().run([&] { return proxy_status(http); })).has_value(); },
      30s);
  INFO("---- yagna log ----\n" << yagna.log());
  REQUIRE(answered);
  CHECK(member(*status, "status") == "ok");
  CHECK(member(*status, "transport") == "gsb");
  REQUIRE(status->HasMember("gsb"));
  const auto& gsb = (*status)["gsb"];
  CHECK(member(gsb, "state") == "connected");
  CHECK(member(gsb, "nodeId") == yagna.node_id());
  CHECK(member(gsb, "url") == yagna.gsb_url());

  // yagna runs the file beside its JSON, by the symlink's path, with the JSON's args as they
  // are (no subcommand), as its own child.
  const auto pids = processes_with_argument(api);
  REQUIRE(pids.size() == 1);
  const pid_t proxy = pids[0];
  CHECK(proc_strings(proxy, "cmdline") ==
        std::vector<std::string>{extension.executable, "--api", api});
  CHECK(parent_of(proxy) == yagna.pid());
  CHECK(hub.netns().holds(proxy));  // loopback only, as yagna
  auto env = proc_environment(proxy);
  CHECK(env["YAGNA_NODE_ID"] == yagna.node_id());
  CHECK(env["YAGNA_GSB_URL"] == yagna.gsb_url());
  CHECK(env["YAGNA_API_URL"] == yagna.api_url() + "/");  // yagna adds the slash
  CHECK(env["YAGNA_APP_KEY"] == yagna.app_key());
  CHECK(env["YAGNA_DATA_DIR"] == yagna.data_dir());
  CHECK(env["LP_FROM_JSON"] == "yes");
  // yagna's own environment is passed on too (its GSB_URL, YAGNA_DATADIR...).
  CHECK(env["GSB_URL"] == yagna.gsb_url());

  // Every stdout line lands in yagna's log at INFO, prefixed with the extension's name (a
  // little after the API answers: yagna relays it).
  CHECK(wait_until(
      [&] {
        return yagna.log(0).find("INFO  yagna::extension] proxy: ready\n") != std::string::npos;
      },
      10s));
  const std::string log = yagna.log(0);
  CHECK(log.find("INFO  yagna::extension] Extension `proxy` starting") != std::string::npos);
  CHECK(log.find("INFO  yagna::extension] proxy: gsb " + yagna.gsb_url() + " node " +
                 yagna.node_id() + "\n") != std::string::npos);
  CHECK(log.find("INFO  yagna::extension] proxy: api http://" + api + "\n") != std::string::npos);
  CHECK(log.find("INFO  yagna::extension] proxy: ready\n") != std::string::npos);

  SECTION("SIGINT to yagna alone stops golem-proxyd too") {
    // yagna exits without signalling its extensions; golem-proxyd notices that its parent is
    // gone and stops instead of running on without its bus.
    yagna.stop();
    INFO("---- yagna log after SIGINT ----\n" << yagna.log(4000));
    CHECK(wait_until([&] { return processes_with_argument(api).empty(); }, 10s));
  }

  SECTION("SIGINT to yagna's process group stops golem-proxyd too") {
    // As Ctrl+C in a terminal does (systemd's default KillMode signals the whole cgroup).
    yagna.interrupt_group();
    INFO("---- yagna log after SIGINT ----\n" << yagna.log(4000));
    CHECK(wait_until([&] { return processes_with_argument(api).empty(); }, 10s));
    CHECK(yagna.log(0).find("INFO  yagna::extension] proxy: stopping on signal 2\n") !=
          std::string::npos);
  }
}

TEST_CASE("yagna restarts golem-proxyd 3 s after it exits 1") {
  require_yagna();
  YagnaHub hub;
  // A bus that is not there: golem-proxyd gives up after 200 ms and exits 1.
  char pattern[] = "/tmp/lp-yext-bus-XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  const std::string missing_bus = std::string("unix:") + pattern + "/nonexistent.sock";
  ExtensionDir extension(
      R"({"args": ["--gsb-url", ")" + missing_bus +
          R"(", "--gsb-start-timeout", "200ms", "--no-api"], "autostart": true})",
      missing_bus);
  std::filesystem::remove(pattern);
  YagnaOptions options;
  options.environment = {extension.environment()};
  YagnaDaemon yagna(hub, "r", options);

  const std::string started = "INFO  yagna::extension] Extension `proxy` starting";
  const std::string failed = "WARN  yagna::extension] Extension 'proxy' failed with exit code 1";
  const bool restarted = wait_until([&] { return count(yagna.log(0), started) >= 3; }, 30s);
  const std::string log = yagna.log(0);
  INFO("---- yagna log ----\n" << log);
  REQUIRE(restarted);
  CHECK(log.find("INFO  yagna::extension] proxy: golem-proxyd: cannot reach the Golem Service "
                 "Bus at " +
                 missing_bus) != std::string::npos);
  // Each start but the last followed a failure (yagna waits 3 s in between; not asserted).
  CHECK(count(log, failed) >= count(log, started) - 1);
  yagna.stop();
  // A start that was under way when yagna stopped ends by itself within its 200 ms.
  CHECK(wait_until([&] { return processes_with_argument(missing_bus).empty(); }, 10s));
}
