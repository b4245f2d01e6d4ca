// SPDX-License-Identifier: MIT
// Prometheus text exposition for assertions: a small parser into samples, lookup helpers,
// and `promtool check metrics`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wgwatch::test {

using label_map = std::map<std::string, std::string, std::less<>>;

/// One sample line: `name{labels} value`.
struct sample {
  std::string name;
  label_map labels;
  double value = 0;
  std::string value_text;  ///< as written, for exact comparison of large integers
};

struct exposition {
  std::vector<sample> samples;
  std::map<std::string, std::string, std::less<>> types;  ///< # TYPE name type
  std::map<std::string, std::string, std::less<>> helps;  ///< # HELP name text
};

/// Parses text format 0.0.4. Throws std::runtime_error naming the line on malformed input.
exposition parse_exposition(std::string_view text);

/// Samples named `name` whose labels include every pair of `subset`.
std::vector<const sample*> find_samples(const exposition& e, std::string_view name,
                                        const label_map& subset = {});

/// The value of the single sample matching (name, subset); nullopt if none or several match.
std::optional<double> sample_value(const exposition& e, std::string_view name,
                                   const label_map& subset = {});
/// Same, as written in the body.
std::optional<std::string> sample_text(const exposition& e, std::string_view name,
                                       const label_map& subset = {});

/// True if exactly one sample matches (name, subset) and its value equals `value`.
bool has_sample(const exposition& e, std::string_view name, const label_map& subset, double value);

/// True if any sample named `name` exists.
bool has_family(const exposition& e, std::string_view name);

/// `promtool check metrics` on `body`: exit code and combined output (empty when clean).
struct promtool_result {
  int exit_code = -1;
  std::string output;
};
promtool_result promtool_check_metrics(std::string_view body);

/// "name{a=\"b\"} value" of a sample, for failure messages.
std::string to_string(const sample& s);

}  // namespace wgwatch::test
