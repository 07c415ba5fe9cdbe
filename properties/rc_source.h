// Source backed by RapidCheck: each draw is *rc::gen::inRange(lo, hi + 1)
// at an explicit size of 100, so the whole range is reachable whatever the
// test size (RapidCheck scales ranges by size otherwise) while staying at
// the size limit that keeps Debian's 2021 RapidCheck UBSan-clean (upstream
// issue 289). Values shrink toward lo. Only valid inside a property run.
#pragma once

#include "properties/source.h"

namespace qdiff::props {

class RcSource final : public Source {
 public:
  int64_t integer(int64_t lo, int64_t hi) override;
  uint32_t bits32() override;
};

}  // namespace qdiff::props
