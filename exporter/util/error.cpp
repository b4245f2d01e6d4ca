// SPDX-License-Identifier: MIT
// wgwatch's error category: messages for the domain error codes.
#include "util/error.hpp"

#include <cerrno>

namespace wgwatch {
namespace {

class wgwatch_error_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "wgwatch"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::device_not_found: return "device not found";
      case errc::kernel_module_missing: return "kernel WireGuard module missing";
      case errc::protocol_error: return "protocol error";
      case errc::truncated_attribute: return "truncated netlink attribute";
      case errc::reply_mismatch: return "reply does not match the request";
      case errc::dump_interrupted: return "netlink dump kept being interrupted";
      case errc::timed_out: return "timed out";
      case errc::config_invalid: return "invalid configuration";
    }
    return "unknown wgwatch error";
  }
};

}  // namespace

const boost::system::error_category& wgwatch_category() noexcept {
  static const wgwatch_error_category category;
  return category;
}

error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), wgwatch_category()};
}

error_code from_errno() noexcept { return from_errno(errno); }

error_code from_errno(int err) noexcept {
  return {err, boost::system::system_category()};
}

}  // namespace wgwatch
