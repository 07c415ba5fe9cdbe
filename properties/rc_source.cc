#include "properties/rc_source.h"

#include <rapidcheck.h>

namespace qdiff::props {

int64_t RcSource::integer(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  if (hi == INT64_MAX) hi = INT64_MAX - 1;  // inRange's bound is exclusive
  return *rc::gen::resize(100, rc::gen::inRange<int64_t>(lo, hi + 1));
}

uint32_t RcSource::bits32() {
  return uint32_t(*rc::gen::resize(100, rc::gen::inRange<int64_t>(0, int64_t{1} << 32)));
}

}  // namespace qdiff::props
