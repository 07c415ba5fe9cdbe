// Source backed by libFuzzer's FuzzedDataProvider: the fuzz targets and
// the crash-input replay decode bytes through the same generators as the
// RapidCheck suite. An exhausted provider yields lo (the simplest choice).
// Labels are ignored here; fuzz/choice_codec.h's RecordingSource decodes the
// same way and records them (the structure-aware mutator's view of an input).
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include "properties/source.h"

namespace qdiff::props {

class FdpSource final : public Source {
 public:
  explicit FdpSource(FuzzedDataProvider& data) : data_(data) {}
  int64_t integer(int64_t lo, int64_t hi) override {
    return hi <= lo ? lo : data_.ConsumeIntegralInRange<int64_t>(lo, hi);
  }
  uint32_t bits32() override { return data_.ConsumeIntegral<uint32_t>(); }

 private:
  FuzzedDataProvider& data_;
};

}  // namespace qdiff::props
