// SPDX-License-Identifier: MIT
// Kernel backend shell: family lookup, GET_DEVICE dump, retry on DUMP_INTR, errno mapping.
#include "wireguard/genl_source.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <net/if.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "link/rtnl_links.hpp"
#include "netlink/genl_family.hpp"
#include "netlink/socket.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "wireguard/genl_parse.hpp"

namespace wgwatch::wg {
namespace {

// Owned copies of one dump's messages. They hold private and preshared keys: wiped on
// destruction and before every retry.
struct dump_buffers {
  std::vector<std::vector<std::uint8_t>> messages;

  dump_buffers() = default;
  dump_buffers(const dump_buffers&) = delete;
  dump_buffers& operator=(const dump_buffers&) = delete;
  ~dump_buffers() { clear(); }

  void clear() noexcept {
    for (auto& m : messages) wipe(m.data(), m.size());
    messages.clear();
  }
};

result<netlink::socket> open_genl(std::chrono::milliseconds timeout) {
  return netlink::socket::open(NETLINK_GENERIC, timeout);
}

// One GET_DEVICE dump into `out`; the status says whether the kernel flagged it interrupted.
result<netlink::exchange_status> dump_device(netlink::socket& sock, std::uint16_t family, const std::string& name,
                         dump_buffers& out) {
  alignas(nlmsghdr) std::array<std::uint8_t, MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(GENL_HDRLEN) +
                                                 MNL_ATTR_HDRLEN + MNL_ALIGN(IFNAMSIZ)> buf{};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = family;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = WG_CMD_GET_DEVICE;
  genl->version = WG_GENL_VERSION;
  mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, name.c_str());

  out.clear();
  auto status = sock.exchange(std::span(buf.data(), nlh->nlmsg_len),
                              [&](const netlink::message& m) -> result<void> {
                                out.messages.emplace_back(m.bytes.begin(), m.bytes.end());
                                return {};
                              });
  return status;
}

error_code map_get_error(error_code ec) {
  if (ec == from_errno(ENODEV) || ec == from_errno(EOPNOTSUPP)) {
    return make_error_code(errc::device_not_found);
  }
  return ec;
}

}  // namespace

genl_source::genl_source(std::chrono::milliseconds timeout) : timeout_(timeout) {}

result<std::vector<std::string>> genl_source::list_devices() {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  {
    auto sock = open_genl(timeout_);
    if (!sock) return sock.error();
    auto family = netlink::resolve_family(*sock, WG_GENL_NAME);
    if (!family) return family.error();
  }
  // What is left of the same deadline (each socket's timeout counts from its open()).
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return make_error_code(errc::timed_out);
  auto links = link::read_links(left);
  if (!links) return links.error();
  std::vector<std::string> names;
  for (auto& l : *links) {
    if (l.kind == "wireguard") names.push_back(std::move(l.name));
  }
  return names;
}

result<device> genl_source::get_device(std::string_view name) {
  // The kernel would answer ENODEV too; checking here keeps an overlong name off the wire.
  if (name.empty() || name.size() >= IFNAMSIZ) return make_error_code(errc::device_not_found);
  // One socket, so one deadline, for the whole read: the lookup and every dump attempt.
  auto sock = open_genl(timeout_);
  if (!sock) return sock.error();
  auto family = netlink::resolve_family(*sock, WG_GENL_NAME);
  if (!family) return family.error();

  const std::string name_z(name);
  dump_buffers buffers;
  for (int attempt = 1;; ++attempt) {
    auto status = dump_device(*sock, *family, name_z, buffers);
    if (!status) return map_get_error(status.error());
    if (!status->interrupted) break;
    if (attempt == max_dump_attempts) {
      // The caller logs the returned error; this line only adds the attempt count.
      log::debug("wireguard dump interrupted on every attempt",
                {{"device", name_z}, {"attempts", std::to_string(attempt)}});
      return make_error_code(errc::dump_interrupted);
    }
    // The device changed between the dump's parts (peers added or removed): start over.
    ++dump_retries_;
  }

  auto dev = parse_genl_dump(buffers.messages);
  if (!dev) return dev.error();
  dev->kind = backend::kernel;
  dev->name = name_z;
  return dev;
}

}  // namespace wgwatch::wg
