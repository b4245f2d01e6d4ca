// SPDX-License-Identifier: MIT
// RFC 2863 operstate names, as the kernel spells them in /sys/class/net/*/operstate.
#include "link/link_info.hpp"

#include <linux/if.h>

namespace wgwatch::link {

std::string_view operstate_name(std::uint8_t operstate) noexcept {
  switch (operstate) {
    case IF_OPER_NOTPRESENT: return "notpresent";
    case IF_OPER_DOWN: return "down";
    case IF_OPER_LOWERLAYERDOWN: return "lowerlayerdown";
    case IF_OPER_TESTING: return "testing";
    case IF_OPER_DORMANT: return "dormant";
    case IF_OPER_UP: return "up";
    default: return "unknown";  // IF_OPER_UNKNOWN and values newer than this build
  }
}

}  // namespace wgwatch::link
