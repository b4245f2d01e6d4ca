// SPDX-License-Identifier: MIT
// gzip with libdeflate (about 3x zlib's speed at level 1, and a smaller body); inflate with
// zlib, an independent implementation, for tests and tools; Accept-Encoding parsing.
#include "http/gzip.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <memory>

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
  // One compressor per thread and level, kept: allocating one costs more than compressing a
  // small body.
  struct compressor_deleter {
    void operator()(libdeflate_compressor* c) const noexcept { libdeflate_free_compressor(c); }
  };
  thread_local std::unique_ptr<libdeflate_compressor, compressor_deleter> compressor;
  thread_local int compressor_level = 0;
  if (!compressor || compressor_level != level) {
    compressor.reset(libdeflate_alloc_compressor(level));
    if (!compressor) throw std::runtime_error("libdeflate_alloc_compressor failed");
    compressor_level = level;
  }
  // A scrape compresses to about 30 %: try half the input's size first, so a large body does
  // not hold a second buffer of its own size while it is compressed; fall back to the
  // worst-case bound (incompressible or tiny input).
  std::string out;
  const std::size_t bound = libdeflate_gzip_compress_bound(compressor.get(), data.size());
  for (const std::size_t capacity : {std::min(bound, data.size() / 2 + 4096), bound}) {
    out.resize(capacity);
    const std::size_t n = libdeflate_gzip_compress(compressor.get(), data.data(), data.size(),
                                                   out.data(), out.size());
    if (n != 0) {
      out.resize(n);
      return out;
    }
  }
  throw std::runtime_error("libdeflate_gzip_compress: output bound too small");
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
