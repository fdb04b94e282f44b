// Error codes of libproxy. The data path reports failures as std::error_code, never as exceptions.
#pragma once

#include <system_error>

namespace libproxy {

/// Why an operation or a proxied connection failed.
enum class errc {
  connect_refused = 1,     ///< the service answered the connection attempt with a reset
  connect_timeout,         ///< the service did not answer within the connect timeout
  reset_by_service,        ///< the service reset an established connection
  stack_out_of_memory,     ///< lwIP could not allocate memory for a segment or pcb
  no_free_port,            ///< every ephemeral port of the VPN stack is in use
  unknown_vpn,             ///< no VPN with that id is attached
  vpn_exists,              ///< a VPN with that id is already attached
  vpn_limit_reached,       ///< the stack cannot hold another network interface
  invalid_vpn_config,      ///< bad VPN address, prefix length or MTU
  invalid_gateway_config,  ///< bad gateway listen or service address
  gateway_exists,          ///< a gateway already listens on that address
  unknown_gateway,         ///< no gateway listens on that address
  gsb_frame_too_large,     ///< a Service Bus frame over the size limit
  gsb_protocol_error,      ///< a malformed Service Bus packet
  gsb_bad_url,        ///< a Service Bus URL that is not unix:PATH, tcp://HOST:PORT or HOST:PORT
  gsb_not_connected,  ///< the Service Bus is not connected now
  gsb_disconnected,   ///< the Service Bus connection was lost before the reply came
  gsb_call_timeout,   ///< a Service Bus call got no reply in time
  gsb_call_failed,    ///< the callee (or the router) answered a call with an error
  gsb_address_bound,  ///< this client already serves that Service Bus address
  gsb_bad_payload,    ///< a typed Service Bus payload of the wrong shape
};

/// The category of libproxy::errc values.
const std::error_category& category() noexcept;

/// The category of lwIP's err_t values (negative numbers, as lwIP defines them).
const std::error_category& lwip_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace libproxy

template <>
struct std::is_error_code_enum<libproxy::errc> : std::true_type {};
