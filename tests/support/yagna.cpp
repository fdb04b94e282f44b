#include "yagna.hpp"

#include "daemon_process.hpp"
#include "golem_tools.hpp"
#include "io_thread.hpp"
#include "sb_router.hpp"

#include <httplib.h>
#include <rapidjson/document.h>
#include <asio/io_context.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/ip/tcp.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace testing {
namespace {

std::string make_directory() {
  char pattern[] = "/tmp/lp-yagna-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::string read_file(const std::string& path, std::size_t tail = 0) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  std::string text = out.str();
  if (tail != 0 && text.size() > tail) text = "[...]\n" + text.substr(text.size() - tail);
  return text;
}

// True once `pid` has exited (and reaps it).
bool exited(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == pid; }

// SIGINT, then SIGKILL after `grace`; reaps the child.
void terminate(pid_t pid, int first_signal, std::chrono::milliseconds grace) {
  ::kill(pid, first_signal);
  if (wait_until([&] { return exited(pid); }, grace)) return;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

bool tcp_accepts(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::string describe(const httplib::Result& result) {
  if (!result) return "no answer (" + httplib::to_string(result.error()) + ")";
  return std::to_string(result->status) + " " + result->body;
}

[[noreturn]] void rest_failed(const YagnaDaemon& daemon, const std::string& what,
                              const httplib::Result& result) {
  throw std::runtime_error("yagna " + daemon.name() + ": " + what + ": " + describe(result) +
                           "\n---- yagna " + daemon.name() + " log ----\n" + daemon.log());
}

}  // namespace

unsigned short free_loopback_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::address_v4::loopback(), 0}, false);
  return probe.local_endpoint().port();
}

unsigned short free_hub_port() {
  asio::io_context io;
  std::random_device random;
  std::uniform_int_distribution<int> pick(2000, 9999);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<unsigned short>(pick(random));
    asio::ip::tcp::acceptor probe(io);
    std::error_code ec;
    probe.open(asio::ip::tcp::v4(), ec);
    if (!ec) probe.bind({asio::ip::address_v4::loopback(), port}, ec);
    if (!ec) return port;
  }
  throw std::runtime_error("no free TCP port below 10000 on 127.0.0.1");
}

// ---- YagnaHub
// ------------------------------------------------------------------------------------

YagnaHub::YagnaHub() {
  require_yagna();  // a hub without daemons is of no use: skip before starting anything
  const std::string binary = require_sb_router();
  netns_ = golem_netns();
  directory_ = make_directory();
  // In a fresh namespace every port is free; a router that exits at once is tried again anyway.
  std::string why;
  for (int attempt = 0; attempt < 3 && pid_ < 0; ++attempt) {
    const unsigned short port = netns_->run(free_hub_port);
    address_ = "127.0.0.1:" + std::to_string(port);
    const auto accepting = [&] { return netns_->run([&] { return tcp_accepts(port); }); };
    SpawnOptions options;
    options.log_path = directory_ + "/router.log";
    options.netns = netns_.get();
    netns_->require_loopback_only();
    pid_ = spawn({binary, "-l", "tcp://" + address_}, options);
    if (!netns_->holds(pid_)) {
      terminate(pid_, SIGKILL, std::chrono::seconds(1));
      pid_ = -1;
      why = "is not in network namespace " + netns_->name();
      break;
    }
    const bool up =
        wait_until([&] { return accepting() || exited(pid_); }, std::chrono::seconds(20));
    if (up && accepting()) break;
    why = up ? "exited" : "did not accept within 20 s";
    if (!up) terminate(pid_, SIGKILL, std::chrono::seconds(1));
    pid_ = -1;
  }
  if (pid_ < 0) {
    const std::string message = "ya-sb-router on " + address_ + " " + why + ": " + log();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    throw std::runtime_error(message);
  }
}

YagnaHub::~YagnaHub() {
  if (pid_ > 0) terminate(pid_, SIGKILL, std::chrono::seconds(1));
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string YagnaHub::log() const { return read_file(directory_ + "/router.log", 8000); }

// ---- YagnaDaemon
// ---------------------------------------------------------------------------------

YagnaDaemon::YagnaDaemon(const YagnaHub& hub, std::string name, YagnaOptions options)
    : name_(std::move(name)),
      hub_(hub.address()),
      netns_(hub.netns()),
      options_(std::move(options)),
      binary_(require_yagna()) {
  directory_ = make_directory();
  gsb_url_ = "unix:" + directory_ + "/gsb.sock";
  app_key_ = "lp-" + name_ + "-key";
  log_path_ = directory_ + "/yagna.log";
  std::string why;
  // Retried only when the daemon exits at once (say, its REST port was taken meanwhile).
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (start_once(why)) return;
    if (pid_ > 0) break;  // still running but not ready: retrying will not help
  }
  const std::string message = "yagna " + name_ + " did not become ready: " + why + "\n---- yagna " +
                              name_ + " log ----\n" + log();
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
  throw std::runtime_error(message);
}

bool YagnaDaemon::start_once(std::string& why) {
  api_port_ = netns_.run(free_loopback_port);
  const std::string data = data_dir();
  std::filesystem::create_directories(data);
  SpawnOptions spawn_options;
  spawn_options.environment = {"YAGNA_DATADIR=" + data,      "GSB_URL=" + gsb_url_,
                               "YAGNA_API_URL=" + api_url(), "YAGNA_AUTOCONF_APPKEY=" + app_key_,
                               "YA_NET_TYPE=central",        "CENTRAL_NET_HOST=" + hub_};
  spawn_options.environment.insert(spawn_options.environment.end(), options_.environment.begin(),
                                   options_.environment.end());
  spawn_options.log_path = log_path_;
  spawn_options.netns = &netns_;
  spawn_options.own_process_group = options_.own_process_group;
  netns_.require_loopback_only();
  pid_ = spawn({binary_, "service", "run", "--disable-metrics-push"}, spawn_options);
  if (!netns_.holds(pid_)) {
    stop();
    why = "it is not in network namespace " + netns_.name();
    return false;
  }
  http_ = std::make_unique<YagnaRest>(netns_, api_port_, app_key_);

  bool gone = false;
  const bool ready = wait_until(
      [&] {
        if (exited(pid_)) return gone = true;
        // Bound on the hub first (it happens before the REST server starts), then /me.
        if (read_file(log_path_).find("network service bound") == std::string::npos) return false;
        const auto me = http_->Get("/me");
        if (!me || me->status != 200) return false;
        rapidjson::Document doc;
        doc.Parse(me->body.c_str());
        if (!doc.IsObject() || !doc.HasMember("identity") || !doc["identity"].IsString())
          return false;
        node_id_ = doc["identity"].GetString();
        return true;
      },
      std::chrono::seconds(40));
  if (ready && !gone) return true;
  if (gone) {
    pid_ = -1;
    why = "it exited";
  } else {
    why = "no GET /me 200 within 40 s";
  }
  return false;
}

YagnaDaemon::~YagnaDaemon() {
  stop();
  http_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::string YagnaDaemon::api_url() const { return "http://127.0.0.1:" + std::to_string(api_port_); }

YagnaRest& YagnaDaemon::http() { return *http_; }

// ---- YagnaRest
// -----------------------------------------------------------------------------------

YagnaRest::YagnaRest(const Netns& netns, unsigned short port, const std::string& app_key)
    : netns_(netns), client_(std::make_unique<httplib::Client>("127.0.0.1", port)) {
  client_->set_bearer_token_auth(app_key.c_str());
  client_->set_connection_timeout(std::chrono::seconds(1));
  client_->set_read_timeout(std::chrono::seconds(30));
}

YagnaRest::~YagnaRest() = default;

// httplib opens a connection per request (no keep-alive): each one is made inside the namespace.
httplib::Result YagnaRest::Get(const std::string& path) {
  return netns_.run([&] { return client_->Get(path); });
}

httplib::Result YagnaRest::Post(const std::string& path, const std::string& body,
                                const std::string& content_type) {
  return netns_.run([&] { return client_->Post(path, body, content_type); });
}

httplib::Result YagnaRest::Delete(const std::string& path) {
  return netns_.run([&] { return client_->Delete(path); });
}

void YagnaDaemon::stop() {
  if (pid_ <= 0) return;
  terminate(pid_, SIGINT, std::chrono::seconds(5));
  pid_ = -1;
}

void YagnaDaemon::interrupt_group() {
  if (pid_ <= 0) return;
  if (!options_.own_process_group)
    throw std::logic_error("yagna " + name_ + ": interrupt_group() needs own_process_group");
  ::kill(-pid_, SIGINT);
  if (wait_until([&] { return exited(pid_); }, std::chrono::seconds(5))) {
    pid_ = -1;
    return;
  }
  stop();
}

std::string YagnaDaemon::log(std::size_t tail) const { return read_file(log_path_, tail); }

// ---- the requestor's REST API ----------------------------------------------------------------

std::string create_network(YagnaDaemon& requestor, const std::string& cidr) {
  const auto slash = cidr.find('/');
  const auto address = cidr.substr(0, slash);
  const int prefix = slash == std::string::npos ? 24 : std::stoi(cidr.substr(slash + 1));
  const std::uint32_t bits = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  const std::string mask = asio::ip::address_v4(bits).to_string();
  const std::string body = R"({"ip":")" + address + R"(","mask":")" + mask + R"("})";
  const auto result = requestor.http().Post("/net-api/v1/net", body, "application/json");
  if (!result || result->status / 100 != 2) rest_failed(requestor, "POST /net " + body, result);
  rapidjson::Document doc;
  doc.Parse(result->body.c_str());
  if (!doc.IsObject() || !doc.HasMember("id") || !doc["id"].IsString())
    rest_failed(requestor, "POST /net " + body + " gave no id", result);
  return doc["id"].GetString();
}

void add_node(YagnaDaemon& requestor, const std::string& net, const std::string& node_id,
              const std::string& ip) {
  const std::string path = "/net-api/v1/net/" + net + "/nodes";
  const std::string body = R"({"id":")" + node_id + R"(","ip":")" + ip + R"("})";
  const auto result = requestor.http().Post(path.c_str(), body, "application/json");
  if (!result || result->status / 100 != 2) rest_failed(requestor, "POST " + path + body, result);
}

void remove_node(YagnaDaemon& requestor, const std::string& net, const std::string& node_id) {
  const std::string path = "/net-api/v1/net/" + net + "/nodes/" + node_id;
  const auto result = requestor.http().Delete(path.c_str());
  if (!result || result->status / 100 != 2) rest_failed(requestor, "DELETE " + path, result);
}

// ---- GsbTapNode
// ----------------------------------------------------------------------------------

GsbTapNode::GsbTapNode(const std::string& bridge_path, const YagnaDaemon& daemon,
                       const std::string& net, const std::string& cidr,
                       const std::vector<std::pair<std::string, std::string>>& peers)
    : netns_("yagna") {
  static int counter = 0;
  tap_ = "lpy" + std::to_string(::getpid() % 100000) + "-" + std::to_string(counter++ % 100);
  std::vector<std::string> args{bridge_path, "--gsb", daemon.gsb_url(), "--vpn", net,
                                "--tap",     tap_};
  for (const auto& [address, node] : peers) {
    args.push_back("--peer");
    args.push_back(address + "=" + node);
  }
  bridge_ = std::make_unique<DaemonProcess>(args);
  // wait_for_line() blocks until the line or EOF: a watchdog kills a bridge that is not ready
  // in time, which ends its stdout.
  std::mutex mutex;
  std::condition_variable changed;
  bool done = false, killed = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mutex);
    if (changed.wait_for(lock, std::chrono::seconds(30), [&] { return done; })) return;
    killed = true;
    bridge_->stop(SIGKILL);
  });
  ready_ = bridge_->wait_for_line("ready");
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  changed.notify_all();
  watchdog.join();
  if (ready_.empty())
    throw std::runtime_error(
        "gsb_tap_bridge on yagna " + daemon.name() +
        (killed ? " was not ready within 30 s" : " exited before it was ready") +
        " (its stderr is above)\n---- yagna " + daemon.name() + " log ----\n" + daemon.log());
  netns_.adopt_link(tap_, cidr);
}

// The bridge_'s destructor SIGKILLs it (its TAP device goes with it), then the namespace goes.
GsbTapNode::~GsbTapNode() = default;

}  // namespace testing
