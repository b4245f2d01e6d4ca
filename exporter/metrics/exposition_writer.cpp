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

}  // namespace

void append_escaped(std::string& out, std::string_view value) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(value.substr(start, i - start));
    out.append(c == '\\' ? "\\\\" : c == '"' ? "\\\"" : "\\n");
    start = i + 1;
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
