#include <libproxy/error.hpp>

#include <string>

namespace libproxy {
namespace {

class Category final : public std::error_category {
public:
  const char* name() const noexcept override { return "libproxy"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::connect_refused:
        return "the service refused the connection";
      case errc::connect_timeout:
        return "the service did not answer in time";
      case errc::reset_by_service:
        return "the service reset the connection";
      case errc::stack_out_of_memory:
        return "the VPN stack is out of memory";
      case errc::no_free_port:
        return "no free ephemeral port in the VPN stack";
      case errc::unknown_vpn:
        return "no such VPN";
      case errc::vpn_exists:
        return "a VPN with that id already exists";
      case errc::vpn_limit_reached:
        return "no room for another VPN interface";
      case errc::invalid_vpn_config:
        return "invalid VPN configuration";
      case errc::invalid_gateway_config:
        return "invalid gateway configuration";
      case errc::gateway_exists:
        return "a gateway already listens on that address";
      case errc::unknown_gateway:
        return "no gateway listens on that address";
      case errc::gsb_frame_too_large:
        return "a Service Bus frame is over the size limit";
      case errc::gsb_protocol_error:
        return "a malformed Service Bus packet";
      case errc::gsb_bad_url:
        return "not a Service Bus URL (unix:PATH, tcp://HOST:PORT or HOST:PORT)";
      case errc::gsb_not_connected:
        return "the Service Bus is not connected";
      case errc::gsb_disconnected:
        return "the Service Bus connection was lost";
      case errc::gsb_call_timeout:
        return "the Service Bus call timed out";
      case errc::gsb_call_failed:
        return "the Service Bus call failed";
      case errc::gsb_address_bound:
        return "that Service Bus address is already served";
      case errc::gsb_bad_payload:
        return "a Service Bus payload of the wrong shape";
    }
    return "libproxy error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category instance;
  return instance;
}

}  // namespace libproxy
