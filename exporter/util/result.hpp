// SPDX-License-Identifier: MIT
// result<T>: the value-or-error type of wgwatch's core (errors are values inside).
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace wgwatch {

using error_code = boost::system::error_code;

/// A value or an error_code. Core functions return this instead of throwing.
template <class T>
using result = boost::system::result<T, error_code>;

}  // namespace wgwatch
