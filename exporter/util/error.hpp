// SPDX-License-Identifier: MIT
// wgwatch's domain error codes and their category; from_errno() for syscall failures.
#pragma once

#include <string>
#include <system_error>

#include "util/result.hpp"

namespace wgwatch {

/// Domain errors. OS errors stay in the system category (see from_errno()).
enum class errc {
  device_not_found = 1,   ///< no such device on this backend
  kernel_module_missing,  ///< the "wireguard" genetlink family is absent
  protocol_error,         ///< a peer spoke the protocol wrongly (bad line, bad reply)
  truncated_attribute,    ///< a netlink attribute shorter than its type needs
  reply_mismatch,         ///< a reply that does not answer our request
  dump_interrupted,       ///< NLM_F_DUMP_INTR persisted over every retry
  timed_out,              ///< a deadline passed
  config_invalid,         ///< the configuration did not validate
};

/// The category of wgwatch::errc.
const boost::system::error_category& wgwatch_category() noexcept;

/// Makes an error_code of the wgwatch category.
error_code make_error_code(errc e) noexcept;

/// The current errno as an error_code of the system category.
error_code from_errno() noexcept;

/// An errno value as an error_code of the system category.
error_code from_errno(int err) noexcept;

}  // namespace wgwatch

template <>
struct boost::system::is_error_code_enum<wgwatch::errc> : std::true_type {};
