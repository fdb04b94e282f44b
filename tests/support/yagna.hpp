// Real yagna daemons (PyPI golem-node 0.17.6, cached by tests/interop/fetch-golem-tools.sh) on a
// central net whose hub is a ya-sb-router on 127.0.0.1, for interop tests of the GSB transport
// (../shared/notes/golem-vpn.md §4). Every process is a child that dies with the test process
// (PR_SET_PDEATHSIG) and is stopped by the destructor of the object that started it.
//
// The hub and its daemons (and whatever yagna starts: extensions) run in one network namespace
// with loopback alone (golem_netns()): yagna resolves public names by itself, and there nothing
// can leave the machine. The test reaches them as it reaches any namespace:
//
//   test process (root namespace)          lp-golem-<pid>-<n>: lo only
//     GsbClient, gsb_tap_bridge  --unix:-->  yagna's GSB socket (a file: shared by namespaces)
//     YagnaDaemon::http()  --Netns::run-->   yagna's REST API, tcp 127.0.0.1:<port>
//                                            yagna --tcp 127.0.0.1:<hub port>--> ya-sb-router
#pragma once

#include "golem_tools.hpp"

#include "daemon_process.hpp"
#include "netns.hpp"

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace httplib {
class Client;
class Result;
}  // namespace httplib

namespace testing {

/// A TCP port on 127.0.0.1 that nothing holds right now (the kernel's pick), in the calling
/// thread's namespace.
unsigned short free_loopback_port();

/// A TCP port below 10000 on 127.0.0.1 that nothing holds right now. yagna 0.17.6 cannot
/// reach a central-net hub on a 5-digit port: CENTRAL_NET_HOST=127.0.0.1:9999 works, and
/// 127.0.0.1:10000 (or localhost:12345) fails with "Failed to bind handlers: host not found".
unsigned short free_hub_port();

/// The central net's hub: a ya-sb-router listening on tcp://127.0.0.1:<free_hub_port()> inside
/// a fresh loopback-only namespace, where the daemons on it run too. Start it before the
/// daemons: a daemon whose hub is unreachable blocks and ignores SIGTERM.
class YagnaHub {
public:
  /// Exits the test with 77 (skipped) without yagna, ya-sb-router or root.
  YagnaHub();
  ~YagnaHub();
  YagnaHub(const YagnaHub&) = delete;
  YagnaHub& operator=(const YagnaHub&) = delete;

  /// 127.0.0.1:<port>, as CENTRAL_NET_HOST takes it.
  const std::string& address() const { return address_; }
  /// tcp://127.0.0.1:<port>, as a GsbClient takes it inside netns().
  std::string url() const { return "tcp://" + address_; }
  /// The router's log so far (for failure messages).
  std::string log() const;
  /// The namespace the hub, its daemons and their extensions run in.
  const Netns& netns() const { return *netns_; }
  /// The router process.
  pid_t pid() const { return pid_; }

private:
  std::unique_ptr<Netns> netns_;
  std::string directory_;
  std::string address_;
  pid_t pid_ = -1;
};

/// How a YagnaDaemon is started, beyond the defaults.
struct YagnaOptions {
  /// NAME=VALUE entries added to the daemon's environment (e.g. YAGNA_EXTENSIONS_DIR=...).
  std::vector<std::string> environment;
  /// Start the daemon in a process group of its own (setpgid), so that interrupt_group() can
  /// signal it and its children (autostarted extensions) the way Ctrl+C in a terminal does.
  bool own_process_group = false;
};

/// yagna's REST API as a test reaches it: it listens on the loopback of the daemon's namespace,
/// so each call runs on a thread inside it (Netns::run), with the app key as a bearer token.
/// The calls are httplib::Client's.
class YagnaRest {
public:
  YagnaRest(const Netns& netns, unsigned short port, const std::string& app_key);
  ~YagnaRest();
  YagnaRest(const YagnaRest&) = delete;
  YagnaRest& operator=(const YagnaRest&) = delete;

  httplib::Result Get(const std::string& path);
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& content_type);
  httplib::Result Delete(const std::string& path);

private:
  const Netns& netns_;
  std::unique_ptr<httplib::Client> client_;
};

/// `yagna service run` on the hub's central net, in the hub's namespace, in a fresh data directory
/// (/tmp/lp-yagna-XXXXXX, removed by the destructor) with its own GSB socket, REST port and
/// app key. The constructor returns once the REST API answers GET /me and the daemon is bound
/// on the hub, or throws with the daemon's log.
class YagnaDaemon {
public:
  /// `name` only labels logs and failure messages.
  YagnaDaemon(const YagnaHub& hub, std::string name, YagnaOptions options = {});
  ~YagnaDaemon();
  YagnaDaemon(const YagnaDaemon&) = delete;
  YagnaDaemon& operator=(const YagnaDaemon&) = delete;

  const std::string& name() const { return name_; }
  /// The default identity (`0x` + 40 lowercase hex digits), from GET /me.
  const std::string& node_id() const { return node_id_; }
  /// unix:<socket path>
  const std::string& gsb_url() const { return gsb_url_; }
  /// http://127.0.0.1:<port>, in the hub's namespace.
  std::string api_url() const;
  const std::string& app_key() const { return app_key_; }
  /// A REST client for the daemon (from the hub's namespace) that sends the app key.
  YagnaRest& http();

  /// YAGNA_DATADIR, which yagna passes to extensions as YAGNA_DATA_DIR.
  std::string data_dir() const { return directory_ + "/data"; }
  /// The `yagna service run` process, or -1 once stopped.
  pid_t pid() const { return pid_; }

  /// SIGINT, then SIGKILL if it has not exited within a few seconds. Idempotent. Only the
  /// daemon is signalled: yagna 0.17.6 leaves its extensions running (orphaned).
  void stop();
  /// SIGINT to the daemon's whole process group (it and its extensions, as Ctrl+C in a
  /// terminal does), then stop(). Needs YagnaOptions::own_process_group.
  void interrupt_group();
  bool running() const { return pid_ > 0; }
  /// The end of the daemon's log (stdout and stderr; `tail` characters, 0 = all).
  std::string log(std::size_t tail = 12000) const;

private:
  bool start_once(std::string& why);

  std::string name_;
  std::string hub_;
  const Netns& netns_;
  YagnaOptions options_;
  std::string binary_;
  std::string directory_;
  std::string gsb_url_;
  std::string app_key_;
  std::string log_path_;
  unsigned short api_port_ = 0;
  std::string node_id_;
  pid_t pid_ = -1;
  std::unique_ptr<YagnaRest> http_;
};

// ---- the requestor's VPN REST API (/net-api/v1) on a daemon; each throws with the daemon's
// ---- answer and log on failure -----------------------------------------------------------------

/// POST /net {ip, mask} for `cidr` (e.g. "192.168.8.0/24"); returns the network id. The
/// requestor itself takes the first host address.
std::string create_network(YagnaDaemon& requestor, const std::string& cidr);
/// POST /net/{net}/nodes {id, ip}.
void add_node(YagnaDaemon& requestor, const std::string& net, const std::string& node_id,
              const std::string& ip);
/// DELETE /net/{net}/nodes/{node}.
void remove_node(YagnaDaemon& requestor, const std::string& net, const std::string& node_id);

/// A VPN node made of a real kernel beside a daemon: the gsb_tap_bridge example serves the
/// VPN on the daemon's GSB, and its TAP device is moved into a fresh network namespace with
/// address `cidr` (say, a provider's service node). Needs root and TAP.
class GsbTapNode {
public:
  /// `peers`: (VPN address, node id) pairs the bridge is told up front.
  GsbTapNode(const std::string& bridge_path, const YagnaDaemon& daemon, const std::string& net,
             const std::string& cidr,
             const std::vector<std::pair<std::string, std::string>>& peers);
  ~GsbTapNode();
  GsbTapNode(const GsbTapNode&) = delete;
  GsbTapNode& operator=(const GsbTapNode&) = delete;

  Netns& netns() { return netns_; }
  /// The bridge's "ready: ..." line.
  const std::string& ready_line() const { return ready_; }

private:
  Netns netns_;
  std::string tap_;
  std::unique_ptr<DaemonProcess> bridge_;
  std::string ready_;
};

}  // namespace testing
