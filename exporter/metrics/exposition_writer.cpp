// SPDX-License-Identifier: MIT
// Text exposition formatting: escaping, number formatting with std::to_chars.
#include "metrics/exposition_writer.hpp"

#include <charconv>
#include <cmath>

namespace wgwatch::metrics {
namespace {

void append_help(std::string& out, std::string_view help) {
  // HELP text escapes only backslash and newline.
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(ptr - buf));
}

// Length of the valid UTF-8 sequence starting at s[0] (a byte >= 0x80), 0 if there is none:
// no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF (RFC 3629, as Go checks).
std::size_t utf8_sequence_length(std::string_view s) noexcept {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  const unsigned c = b(0);
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;  // overlong
    if (c == 0xed && b(1) > 0x9f) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xf4 && b(1) > 0x8f) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void append_escaped(std::string& out, std::string_view value) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size();) {
    const char c = value[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Prometheus rejects the whole scrape over one invalid label value: each byte that
      // starts no valid sequence becomes U+FFFD.
      if (const auto n = utf8_sequence_length(value.substr(i)); n != 0) {
        i += n;
        continue;
      }
      out.append(value.substr(start, i - start));
      out.append("\xef\xbf\xbd");
      start = ++i;
      continue;
    }
    ++i;
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(value.substr(start, i - 1 - start));
    out.append(c == '\\' ? "\\\\" : c == '"' ? "\\\"" : "\\n");
    start = i;
  }
  out.append(value.substr(start));
}

void append_label(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty() && out.back() != '{') out.push_back(',');
  out.append(name);
  out.append("=\"");
  append_escaped(out, value);
  out.push_back('"');
}

void exposition_writer::family(std::string_view name, std::string_view help, metric_type type) {
  out_.append("# HELP ").append(name).push_back(' ');
  append_help(out_, help);
  out_.append("\n# TYPE ").append(name);
  out_.append(type == metric_type::counter     ? " counter\n"
              : type == metric_type::histogram ? " histogram\n"
                                               : " gauge\n");
}

exposition_writer& exposition_writer::sample(std::string_view name) {
  out_.append(name);
  in_labels_ = false;
  return *this;
}

exposition_writer& exposition_writer::label(std::string_view name, std::string_view value) {
  out_.push_back(in_labels_ ? ',' : '{');
  in_labels_ = true;
  out_.append(name).append("=\"");
  append_escaped(out_, value);
  out_.push_back('"');
  return *this;
}

exposition_writer& exposition_writer::raw_labels(std::string_view escaped) {
  if (escaped.empty()) return *this;
  out_.push_back(in_labels_ ? ',' : '{');
  in_labels_ = true;
  out_.append(escaped);
  return *this;
}

void exposition_writer::close_labels() {
  if (in_labels_) out_.push_back('}');
  in_labels_ = false;
  out_.push_back(' ');
}

void exposition_writer::value(double v) {
  close_labels();
  if (std::isnan(v)) {
    out_.append("NaN");
  } else if (std::isinf(v)) {
    out_.append(v > 0 ? "+Inf" : "-Inf");
  } else {
    append_number(out_, v);
  }
  out_.push_back('\n');
}

void exposition_writer::value(std::uint64_t v) {
  close_labels();
  append_number(out_, v);
  out_.push_back('\n');
}

void exposition_writer::value(std::int64_t v) {
  close_labels();
  append_number(out_, v);
  out_.push_back('\n');
}

}  // namespace wgwatch::metrics
