// Time is an input to every layer: microseconds on a caller-chosen monotonic clock.
#pragma once

#include <cstdint>
#include <limits>

namespace wasmrtc {

using Timestamp = int64_t;  // microseconds
using Duration = int64_t;   // microseconds

constexpr Timestamp kNever = std::numeric_limits<int64_t>::max();

constexpr Duration ms(int64_t v) { return v * 1000; }
constexpr Duration seconds(int64_t v) { return v * 1000000; }

}  // namespace wasmrtc
