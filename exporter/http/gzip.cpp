// SPDX-License-Identifier: MIT
// gzip with ISA-L's igzip (7 times zlib's speed at level 1 for the same size); inflate with
// zlib, an independent implementation, for tests and tools; Accept-Encoding parsing.
#include "http/gzip.hpp"

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <cstdint>
#include <vector>

#include <cctype>
#include <stdexcept>

namespace wgwatch::http {
namespace {

constexpr int gzip_window_bits = 15 + 16;  // +16: gzip header and trailer instead of zlib's

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// True for the parameters of a coding that refuse it: q=0, q=0.0, q=0.000.
bool has_zero_q(std::string_view params) noexcept {
  while (!params.empty()) {
    const auto semi = params.find(';');
    std::string_view param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    param = trim(param.substr(2));
    return !param.empty() && param.find_first_not_of("0.") == std::string_view::npos;
  }
  return false;
}

}  // namespace

std::string gzip_compress(std::string_view data, int level) {
  if (level < 0 || level > 3) throw std::invalid_argument("gzip level must be 0-3 (ISA-L)");
  static constexpr std::size_t level_buffer_sizes[] = {ISAL_DEF_LVL0_DEFAULT, ISAL_DEF_LVL1_DEFAULT,
                                                       ISAL_DEF_LVL2_DEFAULT, ISAL_DEF_LVL3_DEFAULT};
  // The level's working memory, kept per thread: allocating it per body costs more than
  // compressing a small one.
  thread_local std::vector<std::uint8_t> level_buffer;
  level_buffer.resize(level_buffer_sizes[level]);

  isal_zstream stream;
  isal_deflate_init(&stream);
  stream.level = static_cast<std::uint32_t>(level);
  stream.level_buf = level_buffer.data();
  stream.level_buf_size = static_cast<std::uint32_t>(level_buffer.size());
  stream.gzip_flag = IGZIP_GZIP;
  stream.flush = NO_FLUSH;
  stream.end_of_stream = 1;
  stream.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<std::uint32_t>(data.size());

  // A scrape compresses to about 30 %: start at half the input's size, so a large body does
  // not hold a second buffer of its own size while it is compressed, and grow if needed.
  std::string out(data.size() / 2 + 4096, '\0');
  for (;;) {
    stream.next_out = reinterpret_cast<std::uint8_t*>(out.data()) + stream.total_out;
    stream.avail_out = static_cast<std::uint32_t>(out.size() - stream.total_out);
    if (isal_deflate(&stream) != COMP_OK) throw std::runtime_error("isal_deflate failed");
    if (stream.internal_state.state == ZSTATE_END) break;
    out.resize(out.size() * 2);
  }
  out.resize(stream.total_out);
  return out;
}

std::optional<std::string> gzip_decompress(std::string_view data) {
  z_stream zs{};
  if (inflateInit2(&zs, gzip_window_bits) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    const std::size_t used = out.size();
    out.resize(used + 65536);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = 65536;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(used + 65536 - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

bool accepts_gzip(std::string_view header) noexcept {
  // An explicit "gzip" entry wins over "*" whatever their order (RFC 9110 section 12.5.3).
  std::optional<bool> gzip;
  std::optional<bool> any;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string_view coding = trim(item.substr(0, semi));
    const bool is_gzip = iequals(coding, "gzip");
    if (!is_gzip && coding != "*") continue;
    const bool accepted = semi == std::string_view::npos || !has_zero_q(item.substr(semi + 1));
    (is_gzip ? gzip : any) = accepted;
  }
  return gzip.value_or(any.value_or(false));
}

}  // namespace wgwatch::http
