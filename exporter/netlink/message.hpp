// SPDX-License-Identifier: MIT
// Length-checked netlink message framing over raw bytes: datagram -> messages, DUMP_INTR.
#pragma once

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstdint>

#include "netlink/attr.hpp"
#include "util/error.hpp"

namespace wgwatch::netlink {

inline constexpr std::size_t message_header_len = NLMSG_HDRLEN;

/// One netlink message: a copy of its header, its payload (after the header) and all its
/// bytes (header included), both bounded by nlmsg_len.
struct message {
  nlmsghdr header{};
  bytes_view payload;
  bytes_view bytes;
};

/// Reads the one message at the start of `bytes`. errc::truncated_attribute if the header
/// does not fit or nlmsg_len is below the header size or past the end of `bytes`.
inline result<message> read_message(bytes_view bytes) noexcept {
  if (bytes.size() < message_header_len) return make_error_code(errc::truncated_attribute);
  const auto header = load<nlmsghdr>(bytes);
  if (header.nlmsg_len < message_header_len || header.nlmsg_len > bytes.size()) {
    return make_error_code(errc::truncated_attribute);
  }
  const auto whole = bytes.first(header.nlmsg_len);
  return message{header, whole.subspan(message_header_len), whole};
}

/// Calls `f(const message&) -> result<void>` for each message of a received datagram.
template <class F>
result<void> for_each_message(bytes_view datagram, F&& f) {
  while (!datagram.empty()) {
    auto m = read_message(datagram);
    if (!m) return m.error();
    if (auto r = f(*m); !r) return r;
    datagram = datagram.subspan(std::min<std::size_t>(NLMSG_ALIGN(m->header.nlmsg_len),
                                                      datagram.size()));
  }
  return {};
}

/// The status word of an NLMSG_ERROR or NLMSG_DONE message (0 or -errno) as a result. A value
/// that is no negated errno (positive, or beyond -4095, e.g. INT_MIN, whose negation
/// overflows) is a protocol error, not an error code.
inline result<void> status_to_result(int status) noexcept {
  if (status == 0) return {};
  if (status < 0 && status >= -4095) return from_errno(-status);
  return make_error_code(errc::protocol_error);
}

/// True when the kernel flagged the message as part of an inconsistent dump: the object
/// changed between the dump's parts, so the whole dump must be discarded and retried.
constexpr bool is_dump_interrupted(const nlmsghdr& h) noexcept {
  return (h.nlmsg_flags & NLM_F_DUMP_INTR) != 0;
}

/// The attribute area of a generic netlink message (after nlmsghdr and genlmsghdr), and
/// its command. errc::truncated_attribute if the genl header does not fit.
struct genl_payload {
  std::uint8_t cmd = 0;
  std::uint8_t version = 0;
  bytes_view attrs;
};

inline result<genl_payload> read_genl_payload(const message& m) noexcept {
  if (m.payload.size() < GENL_HDRLEN) return make_error_code(errc::truncated_attribute);
  const auto g = load<genlmsghdr>(m.payload);
  return genl_payload{g.cmd, g.version, m.payload.subspan(GENL_HDRLEN)};
}

}  // namespace wgwatch::netlink
