// The Status API (GAP-22): health at /status-api/v1/status, bandwidth metrics for the whole
// proxy, each activity and each VPN, the open connections, and the same numbers for Prometheus
// at /metrics. Every handler takes one snapshot on the io thread and formats it off it.
#include "api_support.hpp"
#include "management_server.hpp"
#include "prometheus.hpp"

#include <fmt/format.h>

#include <map>

namespace proxyd {
namespace {

using namespace api;

struct GatewayView {
  Protocol protocol = Protocol::tcp;
  asio::ip::tcp::endpoint address;
  std::string vpn_id;
  std::string activity_id;  // empty for gateways from the command line
  std::size_t connections = 0;
  libproxy::Traffic traffic;
};

// Everything the Status API reports, copied on the io thread.
struct Snapshot {
  std::size_t probes = 0;
  std::size_t activities_served = 0;
  libproxy::ProxyCounters counters;
  ProbeCounters probe_counters;  // limits of the probe sockets (probe_sockets.hpp)
  libproxy::Traffic traffic;
  std::vector<libproxy::VpnInfo> vpns;
  std::map<std::string, std::string> vpn_links;
  std::vector<GatewayView> gateways;
  std::map<std::string, libproxy::Traffic> activities;
  std::map<std::string, libproxy::Traffic> vpn_traffic;
  std::optional<libproxy::GsbStatus> gsb;
  std::vector<libproxy::ConnectionInfo> connections;  // only when asked for

  std::size_t active_connections(const std::string& activity, const std::string& vpn) const {
    std::size_t n = 0;
    for (const auto& g : gateways)
      if ((activity.empty() || g.activity_id == activity) && (vpn.empty() || g.vpn_id == vpn))
        n += g.connections;
    return n;
  }
  std::size_t gateway_count(const std::string& activity, const std::string& vpn) const {
    std::size_t n = 0;
    for (const auto& g : gateways)
      if ((activity.empty() || g.activity_id == activity) && (vpn.empty() || g.vpn_id == vpn)) ++n;
    return n;
  }
  const GatewayView* gateway_at(const char* protocol,
                                const asio::ip::tcp::endpoint& address) const {
    for (const auto& g : gateways)
      if (std::string_view(to_string(g.protocol)) == protocol && g.address == address) return &g;
    return nullptr;
  }
  std::string link_state(const std::string& vpn_id) const {
    for (const auto& vpn : vpns)
      if (vpn.config.id == vpn_id) return libproxy::to_string(vpn.link_state);
    return "gone";  // the proxy left the VPN; its totals stay
  }
};

void write_gsb_status(Writer& w, const libproxy::GsbStatus& gsb, const std::string& node_id) {
  w.Key("gsb");
  w.StartObject();
  w.Key("nodeId");
  w.String(node_id.c_str());
  w.Key("url");
  w.String(gsb.url.c_str());
  w.Key("state");
  w.String(libproxy::to_string(gsb.state));
  w.Key("lastError");
  w.String(gsb.last_error.c_str());
  w.Key("bindings");
  w.StartArray();
  for (const auto& binding : gsb.bindings) {
    w.StartObject();
    w.Key("address");
    w.String(binding.address.c_str());
    w.Key("registered");
    w.Bool(binding.registered);
    w.EndObject();
  }
  w.EndArray();
  const auto& c = gsb.counters;
  w.Key("counters");
  w.StartObject();
  for (const auto& [name, value] :
       {std::pair{"connects", c.connects}, std::pair{"disconnects", c.disconnects},
        std::pair{"framesSent", c.frames_sent}, std::pair{"bytesSent", c.bytes_sent},
        std::pair{"writes", c.writes}, std::pair{"framesReceived", c.frames_received},
        std::pair{"bytesReceived", c.bytes_received}, std::pair{"pushesDropped", c.pushes_dropped},
        std::pair{"callsTimedOut", c.calls_timed_out},
        std::pair{"callsUnroutable", c.calls_unroutable}}) {
    w.Key(name);
    w.Uint64(value);
  }
  w.EndObject();
  w.EndObject();
}

ApiError unknown(const char* what, const std::string& id) {
  return {404, "not_found", fmt::format("no {} '{}' has had a gateway", what, id)};
}

}  // namespace

void ManagementServer::add_status_routes() {
  const double window = std::chrono::duration<double>(options_.rate_window).count();
  // One snapshot on the io thread; `with_connections` adds the connection list.
  const auto snapshot = [this](bool with_connections) {
    return on_io(
        io_, stopping_,
        [p = &probes_, g = &gateways_, proxy = &proxy_, bus = bus_, with_connections] {
          Snapshot s;
          s.probes = p->list().size();
          s.probe_counters = p->counters();
          s.activities_served = g->activities_served();
          s.counters = proxy->counters();
          s.traffic = proxy->traffic();
          s.vpns = proxy->vpns();
          s.vpn_links = g->vpn_links();
          for (const auto& info : proxy->tcp_gateways()) {
            const auto* activity = g->activity_of(Protocol::tcp, info.bound);
            s.gateways.push_back({Protocol::tcp, info.bound, info.config.vpn_id,
                                  activity ? *activity : std::string{}, info.connections,
                                  info.traffic});
          }
          for (const auto& info : proxy->udp_gateways()) {
            const asio::ip::tcp::endpoint bound{info.bound.address(), info.bound.port()};
            const auto* activity = g->activity_of(Protocol::udp, bound);
            s.gateways.push_back({Protocol::udp, bound, info.config.vpn_id,
                                  activity ? *activity : std::string{}, info.flows, info.traffic});
          }
          s.activities = g->activities_traffic();
          s.vpn_traffic = g->vpns_traffic();
          if (bus) s.gsb = bus->status();
          if (with_connections) s.connections = proxy->connections();
          return s;
        });
  };

  route("GET", "/status-api/v1/status",
        [this, snapshot](const httplib::Request&, httplib::Response& res) {
          const auto s = snapshot(false);
          if (!s) return send_error(res, io_busy);
          const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::steady_clock::now() - started_);
          send_json(res, 200, [&](Writer& w) {
            // Degraded: the VPNs' transport is down (the bus is reconnecting); gateways stay open.
            const bool degraded = s->gsb && s->gsb->state != libproxy::GsbState::connected;
            w.StartObject();
            w.Key("status");
            w.String(degraded ? "degraded" : "ok");
            w.Key("version");
            w.String(GOLEM_PROXY_VERSION);
            w.Key("uptimeSeconds");
            w.Int64(uptime.count());
            w.Key("transport");
            w.String(transport_.c_str());
            if (s->gsb) write_gsb_status(w, *s->gsb, node_id_);
            w.Key("probes");
            w.Uint64(s->probes);
            w.Key("gateways");
            w.Uint64(s->gateways.size());
            w.Key("vpns");
            w.Uint64(s->vpns.size());
            w.Key("activitiesServed");
            w.Uint64(s->activities_served);
            w.Key("activeConnections");
            w.Uint64(s->counters.tcp.cx_active);
            w.Key("totalConnections");
            w.Uint64(s->counters.tcp.downstream_cx_total);
            w.Key("vpnLinks");
            w.StartArray();
            for (const auto& vpn : s->vpns) {
              w.StartObject();
              w.Key("vpnId");
              w.String(vpn.config.id.c_str());
              w.Key("link");
              const auto link = s->vpn_links.find(vpn.config.id);
              w.String(link == s->vpn_links.end() ? "" : link->second.c_str());
              w.Key("state");
              w.String(libproxy::to_string(vpn.link_state));
              w.Key("framesReceived");
              w.Uint64(vpn.link.frames_received);
              w.Key("framesSent");
              w.Uint64(vpn.link.frames_sent);
              w.Key("framesDropped");
              w.Uint64(vpn.link.frames_dropped);
              w.Key("offload");
              w.Bool(vpn.link_offload);
              w.Key("superFramesReceived");
              w.Uint64(vpn.link.super_frames_received);
              w.Key("superFramesSent");
              w.Uint64(vpn.link.super_frames_sent);
              w.EndObject();
            }
            w.EndArray();
            w.Key("connections");
            w.StartObject();
            libproxy::for_each_counter(s->counters.tcp, [&](const char* name, std::uint64_t v) {
              w.Key(name);
              w.Uint64(v);
            });
            w.EndObject();
            w.Key("udp");
            w.StartObject();
            libproxy::for_each_counter(s->counters.udp, [&](const char* name, std::uint64_t v) {
              w.Key(name);
              w.Uint64(v);
            });
            w.EndObject();
            // The probe sockets' limits: refusals and rate limits.
            w.Key("probeLimits");
            w.StartObject();
#define PROXYD_PROBE_JSON(name) \
  w.Key(#name);                 \
  w.Uint64(s->probe_counters.name);
            PROXYD_PROBE_COUNTERS(PROXYD_PROBE_JSON)
#undef PROXYD_PROBE_JSON
            w.EndObject();
            w.Key("stack");
            w.StartObject();
            libproxy::for_each_counter(s->counters.stack, [&](const char* name, std::uint64_t v) {
              w.Key(name);
              w.Uint64(v);
            });
            w.EndObject();
            w.EndObject();
          });
        });

  // ---- metrics: the whole proxy ----------------------------------------------------------------
  route("GET", "/status-api/v1/metrics",
        [snapshot, window](const httplib::Request&, httplib::Response& res) {
          const auto s = snapshot(false);
          if (!s) return send_error(res, io_busy);
          send_json(res, 200, [&](Writer& w) {
            w.StartObject();
            w.Key("connections");
            w.StartObject();
            w.Key("active");
            w.Uint64(s->counters.tcp.cx_active);
            w.Key("total");
            w.Uint64(s->counters.tcp.downstream_cx_total);
            w.EndObject();
            w.Key("gateways");
            w.Uint64(s->gateways.size());
            w.Key("probes");
            w.Uint64(s->probes);
            w.Key("activitiesServed");
            w.Uint64(s->activities_served);
            w.Key("bandwidth");
            write_bandwidth(w, s->traffic, window);
            w.Key("byGateway");  // each gateway socket open now, since it opened
            w.StartArray();
            for (const auto& g : s->gateways) {
              w.StartObject();
              w.Key("protocol");
              w.String(to_string(g.protocol));
              w.Key("address");
              w.String(to_string(g.address).c_str());
              w.Key("activityId");
              w.String(g.activity_id.c_str());
              w.Key("vpnId");
              w.String(g.vpn_id.c_str());
              w.Key("connections");
              w.Uint64(g.connections);
              w.Key("bandwidth");
              write_bandwidth(w, g.traffic, window);
              w.EndObject();
            }
            w.EndArray();
            w.EndObject();
          });
        });
  route("GET", "/status-api/v1/metrics/bandwidth",
        [snapshot, window](const httplib::Request&, httplib::Response& res) {
          const auto s = snapshot(false);
          if (!s) return send_error(res, io_busy);
          send_json(res, 200, [&](Writer& w) { write_bandwidth(w, s->traffic, window); });
        });

  // ---- metrics: one activity, one VPN ----------------------------------------------------------
  // kind: "activity" or "vpn"; bandwidth_only: the /bandwidth form.
  const auto group = [snapshot, window](const char* kind, bool bandwidth_only) {
    return [snapshot, window, kind, bandwidth_only](const httplib::Request& req,
                                                    httplib::Response& res) {
      const std::string id = req.matches[1];
      const bool activity = std::string_view(kind) == "activity";
      const auto s = snapshot(false);
      if (!s) return send_error(res, io_busy);
      const auto& meters = activity ? s->activities : s->vpn_traffic;
      const auto it = meters.find(id);
      if (it == meters.end()) return send_error(res, unknown(kind, id));
      if (bandwidth_only)
        return send_json(res, 200, [&](Writer& w) { write_bandwidth(w, it->second, window); });
      const std::string none;
      const auto& by_activity = activity ? id : none;
      const auto& by_vpn = activity ? none : id;
      send_json(res, 200, [&](Writer& w) {
        w.StartObject();
        w.Key(activity ? "activityId" : "vpnId");
        w.String(id.c_str(), static_cast<rapidjson::SizeType>(id.size()));
        if (!activity) {
          w.Key("linkState");
          w.String(s->link_state(id).c_str());
        }
        w.Key("gateways");
        w.Uint64(s->gateway_count(by_activity, by_vpn));
        w.Key("connections");
        w.StartObject();
        w.Key("active");
        w.Uint64(s->active_connections(by_activity, by_vpn));
        w.EndObject();
        w.Key("bandwidth");
        write_bandwidth(w, it->second, window);
        w.EndObject();
      });
    };
  };
  route("GET", "/status-api/v1/metrics/activity/{activityId}", group("activity", false));
  route("GET", "/status-api/v1/metrics/activity/{activityId}/bandwidth", group("activity", true));
  route("GET", "/status-api/v1/metrics/vpn/{vpnId}", group("vpn", false));
  route("GET", "/status-api/v1/metrics/vpn/{vpnId}/bandwidth", group("vpn", true));

  // ---- the open connections, optionally of one activity or VPN ---------------------------------
  route("GET", "/status-api/v1/connections",
        [snapshot, window](const httplib::Request& req, httplib::Response& res) {
          const std::string activity = req.get_param_value("activity");
          const std::string vpn = req.get_param_value("vpn");
          const auto s = snapshot(true);
          if (!s) return send_error(res, io_busy);
          send_json(res, 200, [&](Writer& w) {
            w.StartObject();
            w.Key("connections");
            w.StartArray();
            for (const auto& c : s->connections) {
              const auto* gateway = s->gateway_at(c.protocol, c.gateway);
              const std::string activity_id = gateway ? gateway->activity_id : std::string{};
              if (!activity.empty() && activity_id != activity) continue;
              if (!vpn.empty() && c.vpn_id != vpn) continue;
              w.StartObject();
              w.Key("id");
              w.Uint64(c.id);
              w.Key("protocol");
              w.String(c.protocol);
              w.Key("gateway");
              w.String(to_string(c.gateway).c_str());
              w.Key("activityId");
              w.String(activity_id.c_str());
              w.Key("vpnId");
              w.String(c.vpn_id.c_str());
              w.Key("client");
              w.String(to_string(c.client).c_str());
              w.Key("service");
              w.String(to_string(c.service).c_str());
              w.Key("state");
              w.String(c.state);
              w.Key("bandwidth");
              write_bandwidth(w, c.traffic, window);
              w.EndObject();
            }
            w.EndArray();
            w.EndObject();
          });
        });

  // ---- Prometheus ------------------------------------------------------------------------------
  // Labelled by activity, VPN and gateway, never by connection (cardinality).
  route("GET", "/metrics", [this, snapshot](const httplib::Request&, httplib::Response& res) {
    const auto s = snapshot(false);
    if (!s) return send_error(res, io_busy);
    using Label = PrometheusText::Label;
    PrometheusText p;
    // Bytes (a counter) and rates (a gauge) of one level, one row of labels per group.
    const auto traffic =
        [&](const std::string& level, const std::string& what,
            const std::vector<std::pair<std::vector<Label>, libproxy::Traffic>>& rows) {
          const std::string bytes = "golem_proxy_" + level + "traffic_bytes_total";
          const std::string rate = "golem_proxy_" + level + "traffic_rate_bytes_per_second";
          p.family(bytes, "counter",
                   "Payload bytes of " + what +
                       ": direction in = from public clients, out = to public clients");
          for (const auto& [labels, t] : rows)
            for (const auto& [direction, value] :
                 {std::pair{"in", t.bytes_in}, std::pair{"out", t.bytes_out}}) {
              auto with = labels;
              with.emplace_back("direction", direction);
              p.sample(bytes, with, value);
            }
          p.family(rate, "gauge",
                   "Rates of " + what +
                       ": stat current = the last window, average = over the life, max = the "
                       "highest window");
          for (const auto& [labels, t] : rows)
            for (const auto& [direction, stat, value] :
                 {std::tuple{"in", "current", t.current_in},
                  std::tuple{"in", "average", t.average_in}, std::tuple{"in", "max", t.max_in},
                  std::tuple{"out", "current", t.current_out},
                  std::tuple{"out", "average", t.average_out},
                  std::tuple{"out", "max", t.max_out}}) {
              auto with = labels;
              with.emplace_back("direction", direction);
              with.emplace_back("stat", stat);
              p.sample(rate, with, value);
            }
        };
    traffic("", "every connection since the proxy started", {{{}, s->traffic}});
    std::vector<std::pair<std::vector<Label>, libproxy::Traffic>> rows;
    for (const auto& [id, t] : s->activities) rows.push_back({{{"activity", id}}, t});
    traffic("activity_", "each activity's connections", rows);
    rows.clear();
    for (const auto& [id, t] : s->vpn_traffic) rows.push_back({{{"vpn", id}}, t});
    traffic("vpn_", "each VPN's connections", rows);
    rows.clear();
    std::vector<std::string> gateway_names;  // the labels' strings must outlive `rows`
    gateway_names.reserve(s->gateways.size());
    for (const auto& g : s->gateways) {
      gateway_names.push_back(std::string(to_string(g.protocol)) + "/" + to_string(g.address));
      rows.push_back(
          {{{"gateway", gateway_names.back()}, {"activity", g.activity_id}, {"vpn", g.vpn_id}},
           g.traffic});
    }
    traffic("gateway_", "each gateway's connections since it opened", rows);
    p.family("golem_proxy_gateway_connections", "gauge", "Connections open now, per gateway");
    for (std::size_t i = 0; i < s->gateways.size(); ++i) {
      const auto& g = s->gateways[i];
      p.sample("golem_proxy_gateway_connections",
               {Label{"gateway", gateway_names[i]}, Label{"activity", g.activity_id},
                Label{"vpn", g.vpn_id}},
               std::uint64_t{g.connections});
    }

    p.family("golem_proxy_connections", "gauge", "Connections open now");
    p.sample("golem_proxy_connections", {}, s->counters.tcp.cx_active);
    p.family("golem_proxy_connections_total", "counter", "Connections accepted");
    p.sample("golem_proxy_connections_total", {}, s->counters.tcp.downstream_cx_total);
    p.family("golem_proxy_probes", "gauge", "Probe sockets open now");
    p.sample("golem_proxy_probes", {}, std::uint64_t{s->probes});
    p.family("golem_proxy_gateways", "gauge", "Gateway sockets open now");
    p.sample("golem_proxy_gateways", {}, std::uint64_t{s->gateways.size()});
    p.family("golem_proxy_activities_served_total", "counter",
             "Activities that have had a gateway");
    p.sample("golem_proxy_activities_served_total", {}, std::uint64_t{s->activities_served});
    p.family("golem_proxy_vpn_link_up", "gauge", "1 when the VPN's link carries frames");
    for (const auto& vpn : s->vpns)
      p.sample("golem_proxy_vpn_link_up", {Label{"vpn", vpn.config.id}},
               std::uint64_t{vpn.link_state == libproxy::LinkState::up});
    p.family("golem_proxy_uptime_seconds", "gauge", "Seconds since the daemon started");
    p.sample("golem_proxy_uptime_seconds", {},
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    if (s->gsb) {
      p.family("golem_proxy_gsb_connected", "gauge", "1 when the Service Bus is connected");
      p.sample("golem_proxy_gsb_connected", {},
               std::uint64_t{s->gsb->state == libproxy::GsbState::connected});
      p.family("golem_proxy_gsb_frames_total", "counter",
               "Service Bus frames: direction in = received, out = sent");
      p.sample("golem_proxy_gsb_frames_total", {Label{"direction", "in"}},
               s->gsb->counters.frames_received);
      p.sample("golem_proxy_gsb_frames_total", {Label{"direction", "out"}},
               s->gsb->counters.frames_sent);
    }
    // The data plane's counters and gauges, from the same list as everything else prints.
    const auto& tcp = s->counters.tcp;
#define PROXYD_PROMETHEUS_COUNTER(name)                                         \
  p.family("golem_proxy_tcp_" #name "_total", "counter", "TCP counter " #name); \
  p.sample("golem_proxy_tcp_" #name "_total", {}, tcp.name);
#define PROXYD_PROMETHEUS_GAUGE(name)                              \
  p.family("golem_proxy_tcp_" #name, "gauge", "TCP gauge " #name); \
  p.sample("golem_proxy_tcp_" #name, {}, tcp.name);
    LIBPROXY_TCP_COUNTERS(PROXYD_PROMETHEUS_COUNTER, PROXYD_PROMETHEUS_GAUGE)
    const auto& udp = s->counters.udp;
#define PROXYD_PROMETHEUS_UDP_COUNTER(name)                                     \
  p.family("golem_proxy_udp_" #name "_total", "counter", "UDP counter " #name); \
  p.sample("golem_proxy_udp_" #name "_total", {}, udp.name);
#define PROXYD_PROMETHEUS_UDP_GAUGE(name)                          \
  p.family("golem_proxy_udp_" #name, "gauge", "UDP gauge " #name); \
  p.sample("golem_proxy_udp_" #name, {}, udp.name);
    LIBPROXY_UDP_COUNTERS(PROXYD_PROMETHEUS_UDP_COUNTER, PROXYD_PROMETHEUS_UDP_GAUGE)
    // The probe sockets' limits.
    const auto& probe = s->probe_counters;
#define PROXYD_PROMETHEUS_PROBE_COUNTER(name)                                       \
  p.family("golem_proxy_probe_" #name "_total", "counter", "Probe counter " #name); \
  p.sample("golem_proxy_probe_" #name "_total", {}, probe.name);
    PROXYD_PROBE_COUNTERS(PROXYD_PROMETHEUS_PROBE_COUNTER)
#undef PROXYD_PROMETHEUS_PROBE_COUNTER
#undef PROXYD_PROMETHEUS_UDP_COUNTER
#undef PROXYD_PROMETHEUS_UDP_GAUGE
#undef PROXYD_PROMETHEUS_COUNTER
#undef PROXYD_PROMETHEUS_GAUGE
    res.set_content(p.text(), PrometheusText::content_type);
  });
}

}  // namespace proxyd
