// SPDX-License-Identifier: MIT
// The one translation unit that compiles Boost.URL (Debian's Boost 1.81 ships no libboost_url).
// Nothing else may include <boost/url/src.hpp>: its definitions would be duplicated.
#include <boost/url/src.hpp>
