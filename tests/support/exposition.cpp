// SPDX-License-Identifier: MIT
// Text-format parser for tests; tolerant of ordering, strict about line syntax.
#include "support/exposition.hpp"

#include <cstdlib>
#include <stdexcept>

#include "support/netns.hpp"

namespace wgwatch::test {
namespace {

[[noreturn]] void malformed(std::string_view line, std::string_view why) {
  throw std::runtime_error("malformed exposition line (" + std::string(why) + "): " +
                           std::string(line));
}

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

std::size_t read_name(std::string_view line, std::size_t pos) {
  const std::size_t start = pos;
  while (pos < line.size() && name_char(line[pos], pos == start)) ++pos;
  return pos;
}

// `{a="x",b="y"}` starting at line[pos] == '{'; returns the position after '}'.
std::size_t read_labels(std::string_view line, std::size_t pos, label_map& labels) {
  ++pos;
  while (pos < line.size() && line[pos] != '}') {
    const std::size_t end = read_name(line, pos);
    if (end == pos) malformed(line, "label name");
    std::string key(line.substr(pos, end - pos));
    pos = end;
    if (line.substr(pos, 2) != "=\"") malformed(line, "expected =\"");
    pos += 2;
    std::string value;
    while (pos < line.size() && line[pos] != '"') {
      if (line[pos] == '\\' && pos + 1 < line.size()) {
        const char e = line[++pos];
        value.push_back(e == 'n' ? '\n' : e);
      } else {
        value.push_back(line[pos]);
      }
      ++pos;
    }
    if (pos >= line.size()) malformed(line, "unterminated label value");
    ++pos;
    if (!labels.emplace(std::move(key), std::move(value)).second) malformed(line, "duplicate label");
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
  if (pos >= line.size()) malformed(line, "unterminated label set");
  return pos + 1;
}

void parse_comment(std::string_view line, exposition& e) {
  for (const std::string_view kind : {"# TYPE ", "# HELP "}) {
    if (line.substr(0, kind.size()) != kind) continue;
    const auto rest = line.substr(kind.size());
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) malformed(line, "comment without text");
    auto& target = kind == "# TYPE " ? e.types : e.helps;
    target[std::string(rest.substr(0, space))] = std::string(rest.substr(space + 1));
  }
}

sample parse_sample(std::string_view line) {
  sample s;
  std::size_t pos = read_name(line, 0);
  if (pos == 0) malformed(line, "metric name");
  s.name = std::string(line.substr(0, pos));
  if (pos < line.size() && line[pos] == '{') pos = read_labels(line, pos, s.labels);
  if (pos >= line.size() || line[pos] != ' ') malformed(line, "expected a space before the value");
  const auto rest = line.substr(pos + 1);
  s.value_text = std::string(rest.substr(0, rest.find(' ')));  // drop an optional timestamp
  char* end = nullptr;
  s.value = std::strtod(s.value_text.c_str(), &end);
  if (s.value_text.empty() || *end != '\0') malformed(line, "value");
  return s;
}

bool matches(const sample& s, const label_map& subset) {
  for (const auto& [k, v] : subset) {
    const auto it = s.labels.find(k);
    if (it == s.labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

exposition parse_exposition(std::string_view text) {
  exposition e;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      parse_comment(line, e);
    } else {
      e.samples.push_back(parse_sample(line));
    }
  }
  return e;
}

std::vector<const sample*> find_samples(const exposition& e, std::string_view name,
                                        const label_map& subset) {
  std::vector<const sample*> found;
  for (const auto& s : e.samples) {
    if (s.name == name && matches(s, subset)) found.push_back(&s);
  }
  return found;
}

std::optional<double> sample_value(const exposition& e, std::string_view name,
                                   const label_map& subset) {
  const auto found = find_samples(e, name, subset);
  if (found.size() != 1) return std::nullopt;
  return found.front()->value;
}

std::optional<std::string> sample_text(const exposition& e, std::string_view name,
                                       const label_map& subset) {
  const auto found = find_samples(e, name, subset);
  if (found.size() != 1) return std::nullopt;
  return found.front()->value_text;
}

bool has_sample(const exposition& e, std::string_view name, const label_map& subset, double value) {
  const auto v = sample_value(e, name, subset);
  return v && *v == value;
}

bool has_family(const exposition& e, std::string_view name) {
  return !find_samples(e, name).empty();
}

promtool_result promtool_check_metrics(std::string_view body) {
  auto r = run_command({"promtool", "check", "metrics"}, body);
  return {r.exit_code, r.out + r.err};
}

std::string to_string(const sample& s) {
  std::string text = s.name + "{";
  bool first = true;
  for (const auto& [k, v] : s.labels) {
    if (!first) text += ',';
    first = false;
    text += k + "=\"" + v + "\"";
  }
  return text + "} " + s.value_text;
}

}  // namespace wgwatch::test
