// SPDX-License-Identifier: MIT
// composite_source's per-device backend rule and union listing, with a fake kernel source,
// a hand-made link dump and UAPI sockets in a temp dir.
#include "wireguard/composite_source.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace wgwatch::wg {
namespace {

using namespace std::chrono_literals;

class fake_kernel final : public source {
 public:
  std::vector<std::string> gets;
  result<std::vector<std::string>> list_devices() override { return std::vector<std::string>{}; }
  result<device> get_device(std::string_view name) override {
    gets.emplace_back(name);
    device d;
    d.name = std::string(name);
    d.kind = backend::kernel;
    d.listen_port = 1;
    return d;
  }
  std::string_view backend_name() const noexcept override { return "kernel"; }
};

// A UAPI socket that answers every "get=1" with an empty device, until destroyed.
class uapi_responder {
 public:
  explicit uapi_responder(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_.get(), 8) != 0) {
      throw std::system_error(errno, std::system_category(), path);
    }
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        const unique_fd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        char buf[64];
        std::string req;
        while (!req.ends_with("\n\n")) {
          const ssize_t n = ::recv(conn.get(), buf, sizeof buf, 0);
          if (n <= 0) break;
          req.append(buf, static_cast<std::size_t>(n));
        }
        if (req == "get=1\n\n") {
          static constexpr std::string_view reply = "listen_port=2\nerrno=0\n\n";
          (void)::send(conn.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
        }
      }
    });
  }
  ~uapi_responder() {
    stop_ = true;
    thread_.join();
  }

 private:
  unique_fd fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

link::link_info link_of(std::string name, std::string kind, std::uint32_t ifindex) {
  link::link_info l;
  l.name = std::move(name);
  l.kind = std::move(kind);
  l.ifindex = ifindex;
  return l;
}

class composite_source_test : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wgwatch-composite-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  composite_source make(std::vector<link::link_info> links, bool with_kernel = true) {
    auto kernel = std::make_unique<fake_kernel>();
    kernel_ = kernel.get();
    return composite_source(with_kernel ? std::move(kernel) : nullptr,
                            std::make_unique<uapi_source>(dir_, 300ms),
                            [links = std::move(links)] { return result<std::vector<link::link_info>>(links); });
  }
  std::string sock(std::string_view name) const { return dir_ + "/" + std::string(name) + ".sock"; }

  std::string dir_;
  fake_kernel* kernel_ = nullptr;
};

TEST_F(composite_source_test, picks_the_backend_per_device) {
  const uapi_responder user(sock("wg-user"));
  const uapi_responder shadow(sock("wg0"));       // next to a kernel device: another netns's
  const uapi_responder elsewhere(sock("wg-far"));  // no interface here: another netns's
  auto src = make({link_of("wg0", "wireguard", 3), link_of("wg-user", "tun", 7),
                   link_of("tun-nosock", "tun", 8), link_of("eth0", "", 2)});

  const auto names = src.list_devices();
  ASSERT_TRUE(names) << names.error().message();
  EXPECT_EQ(*names, (std::vector<std::string>{"wg-user", "wg0"}));

  EXPECT_EQ(src.backend_for("wg0").value(), backend::kernel);
  EXPECT_EQ(src.backend_for("wg-user").value(), backend::userspace);
  EXPECT_EQ(src.backend_for("wg-far").error(), make_error_code(errc::device_not_found));
  EXPECT_EQ(src.backend_for("tun-nosock").error(), make_error_code(errc::device_not_found));

  const auto k = src.get_device("wg0");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->kind, backend::kernel);
  EXPECT_EQ(k->ifindex, 3u);
  EXPECT_EQ(kernel_->gets, (std::vector<std::string>{"wg0"}));

  const auto u = src.get_device("wg-user");
  ASSERT_TRUE(u) << u.error().message();
  EXPECT_EQ(u->kind, backend::userspace);
  EXPECT_EQ(u->name, "wg-user");
  EXPECT_EQ(u->ifindex, 7u);
  EXPECT_EQ(u->listen_port, 2);

  EXPECT_EQ(src.get_device("wg-far").error(), make_error_code(errc::device_not_found));
  EXPECT_EQ(src.get_device("missing").error(), make_error_code(errc::device_not_found));
}

TEST_F(composite_source_test, link_dump_failure_fails_listing_and_reads) {
  composite_source src(std::make_unique<fake_kernel>(), std::make_unique<uapi_source>(dir_, 300ms),
                       [] { return result<std::vector<link::link_info>>(from_errno(EPERM)); });
  EXPECT_EQ(src.list_devices().error(), from_errno(EPERM));
  EXPECT_EQ(src.get_device("wg0").error(), from_errno(EPERM));
}

TEST_F(composite_source_test, kernel_device_without_kernel_backend) {
  auto src = make({link_of("wg0", "wireguard", 3)}, /*with_kernel=*/false);
  EXPECT_EQ(src.get_device("wg0").error(), make_error_code(errc::kernel_module_missing));
}

}  // namespace
}  // namespace wgwatch::wg
