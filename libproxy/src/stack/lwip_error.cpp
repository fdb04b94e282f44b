#include "lwip_error.hpp"

#include <libproxy/error.hpp>

#include <lwip/err.h>

#include <string>

namespace libproxy {
namespace {

class LwipCategory final : public std::error_category {
public:
  const char* name() const noexcept override { return "lwip"; }
  std::string message(int value) const override {
    switch (value) {
      case ERR_MEM:
        return "out of memory";
      case ERR_BUF:
        return "buffer error (no free port?)";
      case ERR_TIMEOUT:
        return "timeout";
      case ERR_RTE:
        return "routing problem";
      case ERR_INPROGRESS:
        return "operation in progress";
      case ERR_VAL:
        return "illegal value";
      case ERR_WOULDBLOCK:
        return "operation would block";
      case ERR_USE:
        return "address in use";
      case ERR_ALREADY:
        return "already connecting";
      case ERR_ISCONN:
        return "connection already established";
      case ERR_CONN:
        return "not connected";
      case ERR_IF:
        return "low-level netif error";
      case ERR_ABRT:
        return "connection aborted";
      case ERR_RST:
        return "connection reset";
      case ERR_CLSD:
        return "connection closed";
      case ERR_ARG:
        return "illegal argument";
      default:
        return "lwip error " + std::to_string(value);
    }
  }
};

}  // namespace

const std::error_category& lwip_category() noexcept {
  static const LwipCategory category;
  return category;
}

namespace stack {

std::error_code lwip_error(int err) {
  if (err == ERR_OK) return {};
  return {err, lwip_category()};
}

}  // namespace stack
}  // namespace libproxy
