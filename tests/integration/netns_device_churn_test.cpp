// SPDX-License-Identifier: MIT
// Devices come and go under a scraping agent: every scrape still answers 200 with the
// surviving device intact; stale and foreign-namespace sockets are not reported.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "netns_lab.hpp"
#include "util/unique_fd.hpp"

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::test {
namespace {

using namespace std::chrono_literals;

struct scrape_record {
  unsigned status = 0;
  std::string body;
  std::string error;  // a transport failure
};

/// Scrapes every ~20 ms on a thread until stopped.
class scrape_loop {
 public:
  explicit scrape_loop(const agent_process& agent)
      : thread_([this, &agent] {
          while (!stop_) {
            scrape_record r;
            try {
              const auto res = agent.scrape(records_.size() % 2 == 1);
              r.status = res.status;
              r.body = res.body;
            } catch (const std::exception& e) {
              r.error = e.what();
            }
            records_.push_back(std::move(r));
            count_ = records_.size();
            std::this_thread::sleep_for(20ms);
          }
        }) {}

  std::size_t count() const { return count_; }
  void wait_for(std::size_t more) const {
    const auto target = count_ + more;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (count_ < target && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  }
  std::vector<scrape_record> finish() {
    stop_ = true;
    thread_.join();
    return std::move(records_);
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> count_{0};
  std::vector<scrape_record> records_;  // owned by the thread until finish()
  std::thread thread_;
};

// Leaves a socket file nobody listens on, as a SIGKILLed daemon does.
void make_stale_socket(const std::string& path) {
  const unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
}

bool is_socket_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

class netns_device_churn_test : public testing::Test {
 protected:
  void SetUp() override {
    WGWATCH_REQUIRE_NETNS_LAB();
    WGWATCH_REQUIRE_PROGRAM("ping");
    far_ = std::make_unique<named_netns>("wgwatch-far");
    veth_ = std::make_unique<veth_pair>("wgw-near", std::string(near_underlay) + "/24", *far_,
                                        "wgw-far", std::string(far_underlay) + "/24");
    wg0_ = start_lab_device("wg0", 51820, {"10.50.0.1/24"});
    wg1_ = start_lab_device("wg1", 51821, {"10.51.0.1/24"});
    wgf0_ = start_lab_device("wgf0", 51830, {"10.50.0.2/24"}, far_.get());
    add_peer(wg0_, wgf0_.keys.public_key, std::string(far_underlay) + ":51830", "10.50.0.2/32");
    add_peer(wgf0_, wg0_.keys.public_key, std::string(near_underlay) + ":51820", "10.50.0.1/32");
    for (int i = 0; i < 3; ++i) {
      add_peer(wg0_, make_keypair().public_key, "", "10.50." + std::to_string(10 + i) + ".0/24");
    }
    add_peer(wg1_, make_keypair().public_key, "198.18.0.77:51820", "10.51.9.0/24");
    const auto p = ping("10.50.0.2");
    ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  }

  void TearDown() override {
    wgf0_.daemon.reset();
    wg1_.daemon.reset();
    wg0_.daemon.reset();
    veth_.reset();
    far_.reset();
  }

  // Deletes wg1 under a scraping agent; returns every scrape, the last one after the churn.
  std::vector<scrape_record> churn_wg1(const agent_process& agent) {
    scrape_loop loop(agent);
    loop.wait_for(10);
    check_command({"ip", "link", "del", "wg1"});
    loop.wait_for(5);
    wg1_.daemon->stop();
    loop.wait_for(10);
    return loop.finish();
  }

  // Every scrape answered 200, wg0 complete in each; errors_total counts exactly the scrapes
  // whose collector failed (this test is the agent's only client).
  void expect_wg0_intact_and_errors_counted(const std::vector<scrape_record>& records) {
    std::map<std::string, int> failures;
    for (std::size_t i = 0; i < records.size(); ++i) {
      SCOPED_TRACE("scrape " + std::to_string(i));
      const auto& r = records[i];
      ASSERT_EQ(r.error, "");
      ASSERT_EQ(r.status, 200u) << r.body;
      const auto e = parse_exposition(r.body);
      EXPECT_TRUE(has_sample(e, "wireguard_device_info", {{"device", "wg0"}, {"public_key", wg0_.keys.public_key}}, 1));
      EXPECT_TRUE(has_sample(e, "wireguard_device_peers", {{"device", "wg0"}}, 4));
      EXPECT_EQ(find_samples(e, "wireguard_peer_info", {{"device", "wg0"}}).size(), 4u);
      EXPECT_EQ(find_samples(e, "wireguard_peer_allowed_ips_info", {{"device", "wg0"}}).size(), 4u);
      EXPECT_TRUE(has_sample(e, "wgwatch_wireguard_read_success", {{"device", "wg0"}}, 1));
      EXPECT_TRUE(has_sample(e, "wgwatch_link_exists", {{"device", "wg0"}}, 1));
      EXPECT_TRUE(has_sample(e, "wgwatch_link_up", {{"device", "wg0"}}, 1));
      for (const char* c : {"wireguard", "link"}) {
        const auto success = sample_value(e, "wgwatch_scrape_collector_success", {{"collector", c}});
        ASSERT_TRUE(success) << c;
        if (*success == 0) ++failures[c];
        EXPECT_TRUE(has_sample(e, "wgwatch_scrape_errors_total", {{"collector", c}}, failures[c]))
            << c << " errors_total after " << failures[c] << " failed scrapes";
      }
    }
    // How often the churn hit the list/read race, for the test report.
    RecordProperty("wireguard_failed_scrapes", failures["wireguard"]);
    RecordProperty("link_failed_scrapes", failures["link"]);
  }

  std::unique_ptr<named_netns> far_;
  std::unique_ptr<veth_pair> veth_;
  lab_device wg0_, wg1_, wgf0_;
};

TEST_F(netns_device_churn_test, deleted_device_disappears_while_others_stay_intact) {
  agent_process agent(agent_options::with_config(agent_config()));
  {
    const auto e = scrape_ok(agent);
    ASSERT_TRUE(has_sample(e, "wgwatch_wireguard_read_success", {{"device", "wg1"}}, 1));
    ASSERT_TRUE(has_sample(e, "wireguard_device_peers", {{"device", "wg1"}}, 1));
  }
  const auto records = churn_wg1(agent);
  ASSERT_GE(records.size(), 25u);
  expect_wg0_intact_and_errors_counted(records);

  // After the churn, wg1 (unlisted in the config) is simply gone, and nothing failed.
  const auto e = parse_exposition(records.back().body);
  for (const auto* s : samples_of_device(e, "wg1")) ADD_FAILURE() << "left over: " << to_string(*s);
  EXPECT_TRUE(has_sample(e, "wgwatch_scrape_collector_success", {{"collector", "wireguard"}}, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_scrape_collector_success", {{"collector", "link"}}, 1));

  // A device created again under the same name is picked up with its new identity.
  wg1_ = start_lab_device("wg1", 51822, {"10.51.0.1/24"});
  const auto again = scrape_ok(agent);
  EXPECT_TRUE(has_sample(again, "wireguard_device_info", {{"device", "wg1"}, {"public_key", wg1_.keys.public_key}}, 1));
  EXPECT_TRUE(has_sample(again, "wireguard_device_listen_port", {{"device", "wg1"}}, 51822));
  EXPECT_TRUE(has_sample(again, "wireguard_device_peers", {{"device", "wg1"}}, 0));
  EXPECT_TRUE(has_sample(again, "wgwatch_link_exists", {{"device", "wg1"}}, 1));
  EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
}

TEST_F(netns_device_churn_test, deleted_configured_device_is_reported_missing) {
  agent_process agent(agent_options::with_config(agent_config({"wg0", "wg1"})));
  const auto records = churn_wg1(agent);
  ASSERT_GE(records.size(), 25u);
  expect_wg0_intact_and_errors_counted(records);

  const auto e = parse_exposition(records.back().body);
  EXPECT_TRUE(has_sample(e, "wgwatch_wireguard_read_success", {{"device", "wg1"}}, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_link_exists", {{"device", "wg1"}}, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_link_up", {{"device", "wg1"}}, 0));
  EXPECT_TRUE(find_samples(e, "wireguard_device_info", {{"device", "wg1"}}).empty());
  EXPECT_TRUE(find_samples(e, "wireguard_peer_info", {{"device", "wg1"}}).empty());
  // A configured device that vanished is a state, not a collector failure.
  EXPECT_TRUE(has_sample(e, "wgwatch_scrape_collector_success", {{"collector", "wireguard"}}, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_scrape_collector_success", {{"collector", "link"}}, 1));
  EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
}

TEST_F(netns_device_churn_test, stale_and_foreign_namespace_sockets_are_not_reported) {
  // SIGKILL: wireguard-go cannot unlink its socket; the tun goes away with its fd.
  wg1_.daemon->kill();
  const std::string dir(wireguard_socket_dir);
  ASSERT_TRUE(is_socket_file(dir + "/wg1.sock")) << "wireguard-go removed its socket after SIGKILL";
  ASSERT_FALSE(socket_accepts(dir + "/wg1.sock"));
  make_stale_socket(dir + "/wgstale.sock");
  // The far side's daemon shares the socket directory but its interface is not ours.
  ASSERT_TRUE(socket_accepts(dir + "/wgf0.sock"));
  ASSERT_NE(run_command({"ip", "link", "show", "wgf0"}).exit_code, 0);

  agent_process agent(agent_options::with_config(agent_config()));
  for (int i = 0; i < 2; ++i) {
    const auto e = scrape_ok(agent);
    EXPECT_TRUE(has_sample(e, "wgwatch_wireguard_read_success", {{"device", "wg0"}}, 1));
    for (const char* other : {"wg1", "wgstale", "wgf0"}) {
      for (const auto* s : samples_of_device(e, other)) ADD_FAILURE() << "reported: " << to_string(*s);
    }
    EXPECT_TRUE(has_sample(e, "wgwatch_scrape_collector_success", {{"collector", "wireguard"}}, 1));
    EXPECT_TRUE(has_sample(e, "wgwatch_scrape_errors_total", {{"collector", "wireguard"}}, 0));
  }
  EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
}

}  // namespace
}  // namespace wgwatch::test
