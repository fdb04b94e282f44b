// Counters and gauges of the data plane, as value snapshots that are safe to copy to any thread.
//
// Each list is one X-macro, so the struct, its printers and (later) the Status API's JSON are
// generated from the same names and cannot drift apart. "Downstream" is the client side (the
// accepted public connection), "upstream" the service side (the virtual connection in the VPN).
#pragma once

#include <cstdint>

namespace libproxy {

#define LIBPROXY_TCP_COUNTERS(COUNTER, GAUGE)                                                   \
  COUNTER(downstream_cx_total)             /* client connections accepted */                    \
  COUNTER(downstream_cx_completed)         /* closed gracefully in both directions */           \
  COUNTER(downstream_cx_reset)             /* the client reset its connection */                \
  COUNTER(downstream_cx_abandoned)         /* the client left before the service answered */    \
  COUNTER(downstream_cx_overflow)          /* reset on arrival: the gateway was full */         \
  COUNTER(upstream_cx_connect_fail)        /* the service refused or could not be reached */    \
  COUNTER(upstream_cx_connect_timeout)     /* the service did not answer in time */             \
  COUNTER(upstream_cx_reset)               /* the service (or the VPN stack) reset */           \
  COUNTER(cx_idle_timeout)                 /* reset after the idle timeout */                   \
  COUNTER(cx_linger_timeout)               /* reset after the half-close linger timeout */      \
  COUNTER(cx_closed_by_proxy)              /* reset because its gateway or the proxy stopped */ \
  COUNTER(bytes_to_service)                /* payload bytes client -> service */                \
  COUNTER(bytes_to_client)                 /* payload bytes service -> client */                \
  GAUGE(cx_active)                         /* connections open now */                           \
  GAUGE(client_bound_bytes_buffered)       /* service bytes held until the client takes them */ \
  GAUGE(client_bound_bytes_buffered_peak)  /* the highest value of the gauge above */           \
  COUNTER(downstream_cx_source_limit)      /* refused: its source had too many open */          \
  COUNTER(downstream_cx_source_rate)       /* refused: its source opened too many too fast */   \
  COUNTER(downstream_cx_source_table_full) /* refused: the per-source table was full */         \
  COUNTER(cx_buffer_limit)                 /* reset: held more than max_connection_buffer */    \
  COUNTER(cx_window_held)                  /* times a window stayed closed (buffer, budget) */  \
  COUNTER(cx_shed)                         /* reset to bring memory under the budget */         \
  COUNTER(memory_overload_episodes)        /* times the high watermark was crossed */           \
  COUNTER(memory_overload_ms)              /* time spent over the high watermark */             \
  GAUGE(memory_overloaded)                 /* 1 while over the high watermark */                \
  GAUGE(memory_buffered_bytes)             /* charged bytes all connections hold */             \
  GAUGE(memory_buffered_bytes_peak)        /* the highest value of the gauge above */           \
  GAUGE(memory_budget_bytes)               /* the budget (--memory-budget) */                   \
  COUNTER(cx_source_buffer_limit)          /* reset: its source held over max_buffer_per_source */

#define LIBPROXY_UDP_COUNTERS(COUNTER, GAUGE)                                           \
  COUNTER(flows_total)             /* client flows opened */                            \
  COUNTER(flows_expired)           /* ended after the idle timeout */                   \
  COUNTER(flows_evicted)           /* ended to make room: the gateway had max_flows */  \
  COUNTER(flows_failed)            /* could not open (no free port, out of memory) */   \
  COUNTER(datagrams_to_service)    /* client -> service */                              \
  COUNTER(datagrams_to_client)     /* service -> client */                              \
  COUNTER(bytes_to_service)        /* payload bytes client -> service */                \
  COUNTER(bytes_to_client)         /* payload bytes service -> client */                \
  COUNTER(datagrams_too_large)     /* over max_datagram, dropped */                     \
  COUNTER(datagrams_dropped)       /* the client queue was full, or sending failed */   \
  GAUGE(flows_active)              /* flows open now */                                 \
  COUNTER(flows_refused)           /* new client refused: table full of active flows */ \
  COUNTER(flows_source_limit)      /* new client refused: its IP had too many flows */  \
  GAUGE(client_bound_bytes_queued) /* datagrams waiting for room (charged: +64 each) */

#define LIBPROXY_STACK_COUNTERS(COUNTER, GAUGE)                                                    \
  GAUGE(vnet_pcbs_active)         /* lwIP TCP pcbs in any state but TIME_WAIT (listeners too) */   \
  GAUGE(vnet_pcbs_time_wait)      /* lwIP TCP pcbs in TIME_WAIT */                                 \
  COUNTER(frames_received)        /* Ethernet frames from every VPN link */                        \
  COUNTER(frames_sent)            /* Ethernet frames to every VPN link */                          \
  COUNTER(frames_dropped)         /* frames too short or too long to be valid, dropped on input */ \
  COUNTER(ipv4_malformed_dropped) /* IPv4 runts, bad header length or total length */              \
  COUNTER(tcp_ooseq_segments_dropped) /* out-of-order segments over a pcb's queue limit */         \
  COUNTER(ip_reass_fragments_dropped) /* IPv4 fragments over the reassembly buffer limit */

#define LIBPROXY_DECLARE_FIELD(name) std::uint64_t name = 0;

/// Totals over every TCP gateway since the proxy started.
struct TcpCounters {
  LIBPROXY_TCP_COUNTERS(LIBPROXY_DECLARE_FIELD, LIBPROXY_DECLARE_FIELD)
};

/// Totals over every UDP gateway since the proxy started.
struct UdpCounters {
  LIBPROXY_UDP_COUNTERS(LIBPROXY_DECLARE_FIELD, LIBPROXY_DECLARE_FIELD)
};

/// State of the embedded TCP/IP stack.
struct StackCounters {
  LIBPROXY_STACK_COUNTERS(LIBPROXY_DECLARE_FIELD, LIBPROXY_DECLARE_FIELD)
};

#undef LIBPROXY_DECLARE_FIELD

/// Calls f(name, value) for every field, in list order.
template <class F>
void for_each_counter(const TcpCounters& c, F&& f) {
#define LIBPROXY_VISIT_FIELD(name) f(#name, c.name);
  LIBPROXY_TCP_COUNTERS(LIBPROXY_VISIT_FIELD, LIBPROXY_VISIT_FIELD)
#undef LIBPROXY_VISIT_FIELD
}

template <class F>
void for_each_counter(const UdpCounters& c, F&& f) {
#define LIBPROXY_VISIT_FIELD(name) f(#name, c.name);
  LIBPROXY_UDP_COUNTERS(LIBPROXY_VISIT_FIELD, LIBPROXY_VISIT_FIELD)
#undef LIBPROXY_VISIT_FIELD
}

template <class F>
void for_each_counter(const StackCounters& c, F&& f) {
#define LIBPROXY_VISIT_FIELD(name) f(#name, c.name);
  LIBPROXY_STACK_COUNTERS(LIBPROXY_VISIT_FIELD, LIBPROXY_VISIT_FIELD)
#undef LIBPROXY_VISIT_FIELD
}

/// Everything Proxy::counters() reports.
struct ProxyCounters {
  TcpCounters tcp;
  StackCounters stack;
  UdpCounters udp;
};

}  // namespace libproxy
