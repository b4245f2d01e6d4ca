// SPDX-License-Identifier: MIT
// CTRL_CMD_GETFAMILY request and reply parsing.
#include "netlink/genl_family.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <array>
#include <cerrno>
#include <optional>
#include <string>

#include "util/error.hpp"

namespace wgwatch::netlink {

result<std::uint16_t> parse_family_reply(const message& m) {
  auto genl = read_genl_payload(m);
  if (!genl) return genl.error();
  std::optional<std::uint16_t> id;
  auto r = for_each_attr(genl->attrs, [&](const attr& a) -> result<void> {
    if (a.type != CTRL_ATTR_FAMILY_ID) return {};
    id = get_u16(a);
    if (!id) return make_error_code(errc::truncated_attribute);
    return {};
  });
  if (!r) return r.error();
  if (!id) return make_error_code(errc::protocol_error);
  return *id;
}

result<std::uint16_t> resolve_family(socket& sock, std::string_view name) {
  if (name.empty() || name.size() >= GENL_NAMSIZ) return make_error_code(errc::kernel_module_missing);
  alignas(nlmsghdr) std::array<std::uint8_t, MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(GENL_HDRLEN) + 64> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  const std::string name_z(name);
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name_z.c_str());

  std::optional<std::uint16_t> id;
  auto status = sock.exchange(std::span(buf.data(), nlh->nlmsg_len),
                              [&](const message& m) -> result<void> {
                                auto parsed = parse_family_reply(m);
                                if (!parsed) return parsed.error();
                                id = *parsed;
                                return {};
                              });
  if (!status) {
    if (status.error() == from_errno(ENOENT)) return make_error_code(errc::kernel_module_missing);
    return status.error();
  }
  if (!id) return make_error_code(errc::protocol_error);
  return *id;
}

}  // namespace wgwatch::netlink
