// SPDX-License-Identifier: MIT
// genl_source and family lookup against the host kernel (read-only queries).
#include "wireguard/genl_source.hpp"

#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <sys/stat.h>

#include <algorithm>

#include "netlink/genl_family.hpp"
#include "netlink/socket.hpp"
#include "util/error.hpp"

namespace wgwatch::wg {
namespace {

using namespace std::chrono_literals;

TEST(GenlFamily, ResolvesTheControllerItself) {
  auto sock = netlink::socket::open(NETLINK_GENERIC, 2000ms);
  ASSERT_TRUE(sock) << sock.error().message();
  auto id = netlink::resolve_family(*sock, "nlctrl");
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(*id, GENL_ID_CTRL);
  // The same socket serves a second request (sequence numbers advance).
  EXPECT_EQ(netlink::resolve_family(*sock, "wgwatch-absent").error(),
            make_error_code(errc::kernel_module_missing));
}

bool wireguard_module_loaded() {
  struct stat st{};
  return ::stat("/sys/module/wireguard", &st) == 0;
}

// On a host without the module both calls report the absent backend; with it, a missing
// device is device_not_found (or EPERM without CAP_NET_ADMIN). Nothing else is acceptable.
TEST(GenlSource, AbsentModuleOrDeviceIsReportedCleanly) {
  genl_source src(2000ms);
  EXPECT_EQ(src.backend_name(), "kernel");
  auto names = src.list_devices();
  auto dev = src.get_device("wg-nonexist");
  ASSERT_FALSE(dev);
  if (!names) {
    EXPECT_EQ(names.error(), make_error_code(errc::kernel_module_missing));
    EXPECT_EQ(dev.error(), make_error_code(errc::kernel_module_missing));
    EXPECT_FALSE(wireguard_module_loaded());
  } else {
    EXPECT_EQ(std::count(names->begin(), names->end(), "wg-nonexist"), 0);
    EXPECT_TRUE(dev.error() == make_error_code(errc::device_not_found) ||
                dev.error() == from_errno(EPERM))
        << dev.error().message();
  }
  EXPECT_EQ(src.dump_retries(), 0U);
}

TEST(GenlSource, OverlongNameIsNotFound) {
  genl_source src(2000ms);
  EXPECT_EQ(src.get_device("a-name-longer-than-ifnamsiz").error(),
            make_error_code(errc::device_not_found));
  EXPECT_EQ(src.get_device("").error(), make_error_code(errc::device_not_found));
}

}  // namespace
}  // namespace wgwatch::wg
