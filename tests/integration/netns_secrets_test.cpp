// SPDX-License-Identifier: MIT
// Private and preshared keys reach the agent (UAPI replies carry them in hex) but never leave
// it: not in a scrape (plain or gzip), not in its debug log, in base64 nor in hex.
#include <algorithm>
#include <cctype>

#include "netns_lab.hpp"

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Each secret in every form an implementation could print it.
std::vector<std::string> secret_forms(const std::vector<std::string>& base64_secrets) {
  std::vector<std::string> forms;
  for (const auto& b64 : base64_secrets) {
    forms.push_back(b64);
    forms.push_back(b64.substr(0, 43));  // unpadded base64
    forms.push_back(base64_key_to_hex(b64));
  }
  return forms;
}

void expect_no_secret(const std::string& where, const std::string& text,
                      const std::vector<std::string>& forms) {
  const auto folded = lower(text);
  for (const auto& f : forms) {
    // Hex is matched case-insensitively; base64 is case-sensitive.
    const bool hex = f.size() == 64;
    const bool found = hex ? folded.find(f) != std::string::npos : text.find(f) != std::string::npos;
    EXPECT_FALSE(found) << where << " contains a secret (" << (hex ? "hex" : "base64") << " form)";
  }
}

TEST(netns_secrets_test, keys_never_appear_in_scrapes_or_logs) {
  WGWATCH_REQUIRE_NETNS_LAB();
  WGWATCH_REQUIRE_PROGRAM("ping");
  const named_netns far("wgwatch-far");
  const veth_pair veth("wgw-near", std::string(near_underlay) + "/24", far, "wgw-far",
                       std::string(far_underlay) + "/24");
  const auto wg0 = start_lab_device("wg0", 51820, {"10.40.0.1/24"});
  const auto wgf0 = start_lab_device("wgf0", 51830, {"10.40.0.2/24"}, &far);
  const auto psk = make_preshared_key();
  const auto lonely = make_keypair();
  const auto lonely_psk = make_preshared_key();
  add_peer(wg0, wgf0.keys.public_key, std::string(far_underlay) + ":51830", "10.40.0.2/32");
  wg_set({"wgf0", "peer", wg0.keys.public_key, "preshared-key", "/dev/stdin", "endpoint",
          std::string(near_underlay) + ":51820", "allowed-ips", "10.40.0.1/32"},
         psk + "\n", &far);
  // add_peer() feeds no stdin: the near-side psk comes separately.
  wg_set({"wg0", "peer", wgf0.keys.public_key, "preshared-key", "/dev/stdin"}, psk + "\n");
  wg_set({"wg0", "peer", lonely.public_key, "preshared-key", "/dev/stdin", "allowed-ips", "10.40.9.0/24"},
         lonely_psk + "\n");
  // A working tunnel proves the preshared keys are really configured on both ends.
  const auto p = ping("10.40.0.2");
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  const auto uapi = check_command({"wg", "show", "wg0", "preshared-keys"});
  ASSERT_NE(uapi.find(psk), std::string::npos) << "the psk is not configured on wg0";

  agent_process agent(agent_options::with_config(
      agent_config() + "\n[[peer]]\npublic_key = \"" + wgf0.keys.public_key + "\"\nname = \"far\"\n"));
  const auto forms = secret_forms({wg0.keys.private_key, wgf0.keys.private_key, psk, lonely_psk,
                                   lonely.private_key});
  for (const bool gzip : {false, true}) {
    const auto res = agent.scrape(gzip);
    ASSERT_EQ(res.status, 200u);
    ASSERT_EQ(res.content_encoding, gzip ? "gzip" : "");
    // The device was really read, with the peers whose secrets we look for.
    const auto e = parse_exposition(res.body);
    ASSERT_TRUE(has_sample(e, "wireguard_device_info", {{"device", "wg0"}, {"public_key", wg0.keys.public_key}}, 1));
    ASSERT_TRUE(has_sample(e, "wireguard_device_peers", {{"device", "wg0"}}, 2));
    expect_no_secret(gzip ? "gzip-decoded scrape" : "plain scrape", res.body, forms);
    expect_no_secret("raw response", res.raw_body, forms);
  }
  for (const char* path : {"/", "/-/healthy", "/nonexistent"}) {
    expect_no_secret(path, agent.get(path).body, forms);
  }
  EXPECT_EQ(agent.stop(), 0);
  const auto log = agent.stderr_text();
  // The agent runs at --log.level debug (agent_options default); stderr was captured.
  ASSERT_NE(log.find("msg=listening"), std::string::npos) << log;
  expect_no_secret("agent stderr", log, forms);
}

}  // namespace
}  // namespace wgwatch::test
