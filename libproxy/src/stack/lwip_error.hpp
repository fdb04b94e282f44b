// Maps lwIP's err_t into std::error_code (libproxy::lwip_category()).
#pragma once

#include <system_error>

namespace libproxy::stack {

/// An lwIP err_t as an error_code; ERR_OK gives an empty code.
std::error_code lwip_error(int err);

}  // namespace libproxy::stack
