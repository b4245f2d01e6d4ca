// SPDX-License-Identifier: MIT
// exposition_writer: Prometheus text format 0.0.4 straight into a string, with no per-sample
// allocation. The fast path for families with tens of thousands of series.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wgwatch::metrics {

enum class metric_type { gauge, counter, histogram };

/// Appends Prometheus text exposition to a string. A family's samples must follow its
/// family() call without another family in between (the format requires it). Metric and
/// label names are trusted constants; label values are escaped. Not thread-safe.
class exposition_writer {
 public:
  explicit exposition_writer(std::string& out) : out_(out) {}

  /// Writes the # HELP and # TYPE lines.
  void family(std::string_view name, std::string_view help, metric_type type);

  /// Starts a sample: `w.sample("x").label("device", "wg0").value(1)`.
  exposition_writer& sample(std::string_view name);
  exposition_writer& label(std::string_view name, std::string_view value);
  /// Appends already-escaped `k="v",...` text (no braces); for label sets reused per series.
  exposition_writer& raw_labels(std::string_view escaped);
  void value(double v);
  void value(std::uint64_t v);
  void value(std::int64_t v);

  std::string& buffer() noexcept { return out_; }

 private:
  void close_labels();

  std::string& out_;
  bool in_labels_ = false;
};

/// Appends `value` escaped for a label value (\\, \", \n), each byte that starts no valid UTF-8
/// sequence replaced by U+FFFD: Prometheus rejects a whole scrape over one invalid value.
void append_escaped(std::string& out, std::string_view value);

/// Appends `name="value"` (escaped), preceded by a comma when `out` does not end in '{' and
/// is not empty. For building reusable label prefixes.
void append_label(std::string& out, std::string_view name, std::string_view value);

}  // namespace wgwatch::metrics
